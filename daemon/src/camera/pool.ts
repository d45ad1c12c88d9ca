/**
 * Keeps pipelines for reuse, because gstreamer-superficial never frees a
 * Pipeline (about 1.5-2.5 MB per decode pipeline): creating one per start
 * would grow RSS without bound.
 *
 * - 'null' entries (sources without dynamic pads: test, v4l2, csi) restart by
 *   state-cycling NULL->PLAYING; they cost no thread and do not block exit, so
 *   they are kept indefinitely (one per distinct launch string in use).
 * - 'paused' entries (files: decodebin's links are lost in NULL) restart by a
 *   flushing seek. A paused pipeline keeps a bus poller thread and blocks
 *   process exit, so it is stopped and dropped after `keepWarmMs` unless taken
 *   again, or at once by drain(). Dropping leaks it once; reuse within the
 *   window does not.
 */
import type { PipelineHandle } from './handle.js';

export class PipelinePool {
  private readonly entries = new Map<string, Set<PipelineHandle>>();
  private readonly timers = new Map<PipelineHandle, NodeJS.Timeout>();

  constructor(private readonly keepWarmMs = 1500) {}

  take(launch: string): PipelineHandle | undefined {
    const set = this.entries.get(launch);
    const h = set?.values().next().value;
    if (!set || !h) return undefined;
    set.delete(h);
    const t = this.timers.get(h);
    if (t) clearTimeout(t);
    this.timers.delete(h);
    return h;
  }

  /** Park a pipeline that ended cleanly. Files are paused, everything else goes to NULL. */
  park(h: PipelineHandle, kind: 'paused' | 'null'): void {
    h.attach(null);
    if (kind === 'paused') {
      h.pause();
      const t = setTimeout(() => this.evict(h), this.keepWarmMs);
      this.timers.set(h, t);
    } else {
      h.stop();
    }
    let set = this.entries.get(h.launch);
    if (!set) this.entries.set(h.launch, (set = new Set()));
    set.add(h);
  }

  /** Stop and drop every paused pipeline now (shutdown paths: lets the process exit at once). */
  drain(): void {
    for (const h of [...this.timers.keys()]) this.evict(h);
  }

  get size(): { paused: number; null: number } {
    let paused = 0;
    let nul = 0;
    for (const set of this.entries.values()) for (const h of set) h.mode === 'paused' ? paused++ : nul++;
    return { paused, null: nul };
  }

  private evict(h: PipelineHandle): void {
    const t = this.timers.get(h);
    if (t) clearTimeout(t);
    this.timers.delete(h);
    this.entries.get(h.launch)?.delete(h);
    h.stop();
  }
}

/** The process-wide pool used by createFrameSource. */
export const defaultPool = new PipelinePool();

/** Stop every parked pipeline now. Call on shutdown after stopping sources. */
export function drainCameraPipelines(): void {
  defaultPool.drain();
}

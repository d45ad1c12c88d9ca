/**
 * The daemon's running counters, updated by the frame loop and read by /healthz and /metrics:
 * frames by result, consecutive failures (inference health), events by type, and a histogram
 * of seconds per pipeline stage. Pure bookkeeping, no I/O.
 */
import type { Histogram, MetricsSnapshot } from '../http/ports.js';

/** Upper bounds (seconds) of the stage histogram's buckets: 1 ms to 2.5 s. */
export const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export type FrameOutcome = 'animal' | 'empty' | 'failed';

function emptyHistogram(): Histogram {
  return { buckets: STAGE_BUCKETS.map((le) => ({ le, count: 0 })), sum: 0, count: 0 };
}

export class RuntimeMetrics {
  private readonly frames: Record<FrameOutcome, number> = { animal: 0, empty: 0, failed: 0 };
  private readonly events = new Map<string, number>();
  private readonly stages = new Map<string, Histogram>();
  private consecutive = 0;
  private lastError: string | null = null;

  /** A processed frame and its per-stage milliseconds. */
  frame(detections: number, timingMs: Readonly<Record<string, number>>): void {
    this.frames[detections > 0 ? 'animal' : 'empty']++;
    this.consecutive = 0;
    for (const [stage, ms] of Object.entries(timingMs)) this.observe(stage, ms / 1000);
  }

  failed(message: string): void {
    this.frames.failed++;
    this.consecutive++;
    this.lastError = message;
  }

  event(type: string): void {
    this.events.set(type, (this.events.get(type) ?? 0) + 1);
  }

  /** Consecutive failed frames now, and the last failure's message. */
  failures(): { consecutive: number; lastError: string | null } {
    return { consecutive: this.consecutive, lastError: this.lastError };
  }

  snapshot(): Pick<MetricsSnapshot, 'frames' | 'events' | 'stages'> {
    return {
      frames: { ...this.frames },
      events: Object.fromEntries(this.events),
      stages: Object.fromEntries([...this.stages].map(([k, h]) => [k, { ...h, buckets: h.buckets.map((b) => ({ ...b })) }])),
    };
  }

  private observe(stage: string, seconds: number): void {
    let h = this.stages.get(stage);
    if (!h) this.stages.set(stage, (h = emptyHistogram()));
    h.count++;
    h.sum += seconds;
    // Cumulative buckets, as Prometheus exposes them.
    for (const b of h.buckets) if (seconds <= b.le) b.count++;
  }
}

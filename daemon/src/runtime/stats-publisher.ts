/**
 * The box's own numbers for Home Assistant's hub device (retained
 * `<base>/stats`): frames per second since the last sample, outbox depth and
 * the models in use. Sampled from the daemon's tick; the first sample has no
 * fps yet (null: HA shows "unknown"), later ones come every `everyMs`.
 */
import type { HubStats } from '../mqtt/bridge.js';

export interface StatsSources {
  publish(stats: HubStats): void;
  outbox(): number;
  /** The detector and embedder in use, once the models are loaded. */
  model(): string;
}

export class StatsPublisher {
  private readonly src: StatsSources;
  private readonly everyMs: number;
  private last: { ms: number; frames: number } | null = null;

  constructor(src: StatsSources, everyMs = 10_000) {
    this.src = src;
    this.everyMs = everyMs;
  }

  /** `frames`: frames processed since the start (all cameras). */
  tick(nowMs: number, frames: number, nowIso: string): void {
    const last = this.last;
    if (last && nowMs - last.ms < this.everyMs) return;
    const fps = last ? Math.round(((frames - last.frames) * 10_000) / (nowMs - last.ms)) / 10 : null;
    this.last = { ms: nowMs, frames };
    this.src.publish({ fps, outbox: this.src.outbox(), model: this.src.model(), ts: nowIso });
  }
}

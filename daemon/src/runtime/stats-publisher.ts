/**
 * The box's own numbers for Home Assistant's hub device (retained
 * `<base>/stats`): frames per second since the last sample, in all and per
 * camera, outbox depth and the models in use. Sampled from the daemon's tick; the first sample has no
 * fps yet (null: HA shows "unknown"), later ones come every `everyMs` (mqtt.homeAssistant.statsSeconds).
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
  private last: { ms: number; frames: Readonly<Record<string, number>> } | null = null;

  constructor(src: StatsSources, everyMs: number) {
    this.src = src;
    this.everyMs = everyMs;
  }

  /** `frames`: frames processed since the start, per camera id. */
  tick(nowMs: number, frames: Readonly<Record<string, number>>, nowIso: string): void {
    const last = this.last;
    if (last && nowMs - last.ms < this.everyMs) return;
    const rate = (now: number, before: number): number | null =>
      last ? Math.round(((now - before) * 10_000) / (nowMs - last.ms)) / 10 : null;
    const cameras = Object.fromEntries(Object.entries(frames).map(([id, n]) => [id, rate(n, last?.frames[id] ?? 0)]));
    const total = rate(sum(Object.values(frames)), sum(Object.values(last?.frames ?? {})));
    this.last = { ms: nowMs, frames: { ...frames } };
    this.src.publish({ fps: total, cameras, outbox: this.src.outbox(), model: this.src.model(), ts: nowIso });
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

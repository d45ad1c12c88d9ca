/**
 * The daemon's view of its camera: online or lost, since when, and how many
 * reconnect attempts. Pure bookkeeping (times are passed in) so that the
 * logging policy is testable: a loss is reported once, then summarised
 * periodically, and the return is reported once.
 */
import type { CameraState } from '../mqtt/bridge.js';

export interface CameraHealthView extends CameraState {
  /** Reconnect attempts since the loss (0 while online). */
  attempts: number;
  /** Milliseconds lost so far (0 while online). */
  lostMs: number;
}

export class CameraHealth {
  private lostAtMs: number | null = null;
  private sinceIso: string;
  private error: string | null = null;
  private attempts = 0;

  constructor(nowIso: string) {
    this.sinceIso = nowIso;
  }

  get lost(): boolean {
    return this.lostAtMs !== null;
  }

  /** A reconnect attempt was scheduled. Returns true when this starts a loss (report it). */
  onAttempt(nowMs: number, nowIso: string, attempt: number, error: string): boolean {
    this.attempts = attempt;
    this.error = error;
    if (this.lostAtMs !== null) return false;
    this.lostAtMs = nowMs;
    this.sinceIso = nowIso;
    return true;
  }

  /** Frames flow again. Returns how long the camera was lost, or null when it was not. */
  onBack(nowMs: number, nowIso: string): number | null {
    if (this.lostAtMs === null) return null;
    const outage = nowMs - this.lostAtMs;
    this.lostAtMs = null;
    this.sinceIso = nowIso;
    this.error = null;
    this.attempts = 0;
    return outage;
  }

  view(nowMs: number): CameraHealthView {
    const lost = this.lostAtMs !== null;
    return {
      state: lost ? 'lost' : 'online',
      since: this.sinceIso,
      error: this.error,
      attempts: lost ? this.attempts : 0,
      lostMs: lost ? Math.round(nowMs - this.lostAtMs!) : 0,
    };
  }

  /** What `<base>/cameras/<name>/state` carries. */
  state(): CameraState {
    return { state: this.lost ? 'lost' : 'online', since: this.sinceIso, error: this.error };
  }
}

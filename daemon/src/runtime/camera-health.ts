/**
 * The daemon's view of one camera: online, lost (reconnecting), failed (a
 * fatal error: it stays down until the daemon restarts) or ended (a file
 * source read to its end), since when, and how many reconnect attempts. Pure
 * bookkeeping (times are passed in) so that the logging policy is testable: a
 * loss is reported once, then summarised periodically, and the return is
 * reported once.
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
  /** A terminal state: no reconnect follows. */
  private finished: 'failed' | 'ended' | null = null;

  constructor(nowIso: string) {
    this.sinceIso = nowIso;
  }

  get lost(): boolean {
    return this.lostAtMs !== null;
  }

  /** Nothing can be seen through it: lost or failed (an ended file source is not down: it showed all it had). */
  get down(): boolean {
    return this.lost || this.finished === 'failed';
  }

  /** Delivering frames (what `<base>/cameras/<id>/status` says as `online`). */
  get online(): boolean {
    return !this.lost && this.finished === null;
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

  /** The camera stopped for good: a fatal error, or the end of a file source. */
  onFinished(nowIso: string, how: 'failed' | 'ended', error: string | null = null): void {
    this.finished = how;
    this.lostAtMs = null;
    this.attempts = 0;
    this.sinceIso = nowIso;
    this.error = error;
  }

  view(nowMs: number): CameraHealthView {
    const lost = this.lostAtMs !== null;
    return {
      ...this.state(),
      attempts: lost ? this.attempts : 0,
      lostMs: lost ? Math.round(nowMs - this.lostAtMs!) : 0,
    };
  }

  /** What `<base>/cameras/<id>/state` carries. */
  state(): CameraState {
    return { state: this.finished ?? (this.lost ? 'lost' : 'online'), since: this.sinceIso, error: this.error };
  }
}

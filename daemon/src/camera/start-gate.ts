/**
 * The pending start() of a frame source: one promise, with a timeout, settled
 * once by the first frame (resolve), a failure or stop() (reject). Shared by
 * the in-process and the child-process GStreamer sources.
 */
import type { CameraError } from './errors.js';

export class StartGate {
  private pending: { resolve: () => void; reject: (e: CameraError) => void; promise: Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** A start is pending. */
  get open(): boolean {
    return this.pending !== null;
  }

  /** The pending start's promise, if any. */
  get promise(): Promise<void> | null {
    return this.pending?.promise ?? null;
  }

  /** Begins a start; `onTimeout` runs if it is still pending after `timeoutMs`. */
  begin(timeoutMs: number, onTimeout: () => void): Promise<void> {
    let resolve!: () => void;
    let reject!: (e: CameraError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending = { resolve, reject, promise };
    this.timer = setTimeout(onTimeout, timeoutMs);
    return promise;
  }

  resolve(): void {
    this.take()?.resolve();
  }

  reject(err: CameraError): void {
    this.take()?.reject(err);
  }

  /** Stops the timeout without settling (the caller settles next, or the source is shutting down). */
  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private take(): { resolve: () => void; reject: (e: CameraError) => void } | null {
    this.clearTimer();
    const p = this.pending;
    this.pending = null;
    return p;
  }
}

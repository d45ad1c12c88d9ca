/**
 * Newest-frame-wins hand-off between a producer (the pipeline) and one
 * consumer (`next()`). Holds at most one unread frame; a frame replaced before
 * it was read counts as dropped. Pure (no timers, no I/O).
 */
export class LatestSlot<T> {
  private pending: T | null = null;
  private waiter: ((v: T | null) => void) | null = null;
  private waiting: Promise<T | null> | null = null;
  private closed = false;
  dropped = 0;
  delivered = 0;

  /** Offer a new item; returns true when it replaced an unread one. */
  put(item: T): boolean {
    if (this.closed) return false;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      this.delivered++;
      w(item);
      return false;
    }
    const replaced = this.pending !== null;
    if (replaced) this.dropped++;
    this.pending = item;
    return replaced;
  }

  /** The newest unread item, waiting for one if needed; null once closed and drained. */
  take(): Promise<T | null> {
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      this.delivered++;
      return Promise.resolve(p);
    }
    if (this.closed) return Promise.resolve(null);
    // A second take() while one is waiting (e.g. after losing a race with a timeout) shares its result.
    if (this.waiting) return this.waiting;
    this.waiting = new Promise((resolve) => {
      this.waiter = (v) => {
        this.waiting = null;
        resolve(v);
      };
    });
    return this.waiting;
  }

  /** No more items. An unread item stays readable unless `discard`; a waiting take() gets null. */
  close(discard = false): void {
    this.closed = true;
    if (discard) this.pending = null;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(null);
    }
  }

  /** Reopen after close (restart of a stopped source). */
  reopen(): void {
    this.closed = false;
  }

  /** An item waits to be taken. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

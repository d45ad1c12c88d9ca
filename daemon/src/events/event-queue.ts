/**
 * Event durability in front of a transport: events go to the on-disk outbox
 * (./outbox.ts) and leave it only once the transport acknowledged them.
 *
 * Disk errors never escape: an event the outbox cannot store (OUTBOX_WRITE)
 * is logged, kept in memory behind the stored ones (order is kept) and stored
 * as soon as the disk accepts it again (retried every `retryMs` and on every
 * new event). While it is only in memory it can still be delivered, but a
 * restart in that window loses it, which close() logs and `lost` reports (the
 * daemon then exits non-zero).
 *
 * A failing disk is a state: the first failed write (append or ack) is logged
 * as an error, the first successful write after it as "outbox writable again",
 * nothing in between (the daemon's periodic summary says `outboxWritable`).
 */
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from './outbox.js';
import type { PetEvent } from './types.js';

/** The oldest undelivered event, and how to drop it once delivered. */
export interface QueuedEvent {
  event: PetEvent;
  /** Outbox sequence number; null while the event is only in memory. */
  seq: number | null;
}

export class EventQueue {
  private readonly outbox: Outbox;
  private readonly log: Logger;
  private readonly retryMs: number;
  /** Events the outbox could not store yet (disk error), oldest first. */
  private unsaved: PetEvent[] = [];
  private diskFailing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lostIds: string[] = [];
  /** Called when a stored-later event may now be deliverable (the disk came back). */
  onRetry: () => void = () => {};

  constructor(outbox: Outbox, log: Logger, retryMs = 1000) {
    this.outbox = outbox;
    this.log = log;
    this.retryMs = retryMs;
  }

  /** Durably queues an event: on disk, or in memory while the disk refuses (never throws for that). */
  push(event: PetEvent): void {
    this.unsaved.push(event);
    this.save();
  }

  /** False from a failed disk write until the next successful one. */
  get writable(): boolean {
    return !this.diskFailing;
  }

  /** Ids of the events close() had to drop (neither stored nor delivered). */
  get lost(): readonly string[] {
    return this.lostIds;
  }

  /** Events not delivered yet: on disk, plus those only in memory. */
  get pending(): number {
    return this.outbox.pending().length + this.unsaved.length;
  }

  /** Stored events first; events only in memory are always younger than all of them. */
  head(): QueuedEvent | undefined {
    if (this.unsaved.length > 0) this.save();
    const h = this.outbox.head();
    if (h) return { event: h.event, seq: h.seq };
    const e = this.unsaved[0];
    return e ? { event: e, seq: null } : undefined;
  }

  /** The transport acknowledged `q`. */
  delivered(q: QueuedEvent): void {
    if (q.seq === null) {
      if (this.unsaved[0] === q.event) this.unsaved.shift();
      return;
    }
    try {
      this.outbox.ack(q.seq);
    } catch (err) {
      // The head advanced in memory; only a crash before the next ack would redeliver it (same id).
      const e = GlovesError.from(err);
      if (!this.diskFailing) this.log.error(`${e.message}; a restart may redeliver event ${q.event.id} (same id)`, { code: e.code });
      this.diskFailing = true;
      return;
    }
    this.wroteOk();
  }

  /** No more retries; logs what stays for the next start and what is lost. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.save();
    const left = this.outbox.pending().length;
    if (left > 0) this.log.warn('undelivered events stay in the outbox for the next start', { pending: left });
    if (this.unsaved.length > 0) {
      this.lostIds = this.unsaved.map((e) => e.id);
      this.log.error('events could not be written to disk and were not delivered: they are lost', {
        code: 'EVENTS_LOST',
        lost: this.lostIds,
      });
    }
  }

  /** Moves events held in memory into the outbox, in order; false while the disk still refuses. */
  private save(): boolean {
    let wrote = false;
    while (this.unsaved.length > 0) {
      try {
        this.outbox.append(this.unsaved[0]!);
      } catch (err) {
        const e = GlovesError.from(err);
        if (!this.diskFailing)
          this.log.error(`${e.message}; events are kept in memory and retried`, { code: e.code, pending: this.unsaved.length });
        this.diskFailing = true;
        this.retryLater();
        return false;
      }
      this.unsaved.shift();
      wrote = true;
    }
    // Nothing to write proves nothing: the disk may still be full (events delivered from memory).
    if (wrote) this.wroteOk();
    return true;
  }

  private wroteOk(): void {
    if (this.diskFailing) this.log.info('outbox writable again', { code: 'OUTBOX_WRITE' });
    this.diskFailing = false;
  }

  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.save();
      this.onRetry();
    }, this.retryMs);
    this.retryTimer.unref();
  }
}

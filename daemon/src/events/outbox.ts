/**
 * The on-disk event outbox: every event is written here (and fsynced) before
 * any attempt to publish it, and leaves only when the broker acknowledged it.
 *
 * Layout in `dir`:
 * - `outbox.jsonl`: append-only, one `{"seq": n, "event": {...}}` per line;
 * - `outbox.acked`: the highest delivered seq, replaced atomically.
 * Pending = lines with seq > acked, in seq order. Once nothing is pending the
 * log is compacted (atomically replaced by an empty file); seqs keep growing
 * from the acked value, so a crash between any two steps neither loses an event
 * nor makes it pending twice. A torn last line (crash mid-append) is dropped
 * with a warning: its event was never acknowledged to anyone, not even to the
 * caller, because `append` returns only after fsync.
 *
 * Disk errors (full disk, I/O error) surface as GlovesError OUTBOX_WRITE and
 * leave the outbox usable:
 * - a failed `append` stored nothing (the caller keeps the event and retries);
 *   a possibly torn line is repaired by rewriting the log before the next append;
 * - a failed `ack` still advances the head in memory (the event was delivered);
 *   the ack file is rewritten by the next ack or append, and until then a crash
 *   only means a redelivery with the same id.
 *
 * Contract: single writer (one daemon per state dir); `ack` must name the head.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { PetEvent } from './types.js';

export interface OutboxEntry {
  seq: number;
  event: PetEvent;
}

/**
 * Pure: parses the log text; returns entries and the count of unusable lines. A line whose seq
 * is not a positive integer, or repeats an earlier line's seq (only a damaged file has that;
 * the first one is kept), is unusable: it would be delivered twice or out of order.
 */
export function parseOutboxLog(text: string): { entries: OutboxEntry[]; bad: number; tornTail: boolean } {
  const lines = text.split('\n');
  const tornTail = lines.length > 0 && lines[lines.length - 1] !== '';
  const entries: OutboxEntry[] = [];
  const seqs = new Set<number>();
  let bad = 0;
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      const rec = JSON.parse(line) as Partial<OutboxEntry>;
      if (
        !Number.isSafeInteger(rec.seq) ||
        rec.seq! < 1 ||
        typeof rec.event !== 'object' ||
        rec.event === null ||
        typeof rec.event.id !== 'string'
      )
        throw new Error('shape');
      if (seqs.has(rec.seq!)) throw new Error('repeated seq');
      seqs.add(rec.seq!);
      entries.push({ seq: rec.seq!, event: rec.event });
    } catch {
      if (!(tornTail && i === lines.length - 1)) bad++;
    }
  });
  return { entries, bad, tornTail };
}

export class Outbox {
  private readonly dir: string;
  private readonly log: Logger;
  private fd: number | null = null;
  private acked = 0;
  private lastSeq = 0;
  private queue: OutboxEntry[] = [];
  /** The log may end in a torn line (failed append) or be closed (failed compaction). */
  private needsRepair = false;
  /** `acked` is not yet on disk (failed ack write). */
  private ackDirty = false;

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.log = log;
  }

  get logPath(): string {
    return join(this.dir, 'outbox.jsonl');
  }

  get ackPath(): string {
    return join(this.dir, 'outbox.acked');
  }

  open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.acked = this.readAcked();
    const text = existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
    const { entries, bad, tornTail } = parseOutboxLog(text);
    if (bad > 0) this.log.error('outbox has unreadable lines; they are skipped', { file: this.logPath, lines: bad });
    if (tornTail) this.log.warn('outbox ended in a torn line (crash during append); dropped it', { file: this.logPath });
    entries.sort((a, b) => a.seq - b.seq);
    this.queue = entries.filter((e) => e.seq > this.acked);
    this.lastSeq = Math.max(this.acked, ...entries.map((e) => e.seq));
    // Rewrite when the file holds delivered or broken lines, so appends start on a clean line.
    if (tornTail || bad > 0 || this.queue.length !== entries.length) this.rewrite();
    this.fd = openSync(this.logPath, 'a');
    if (this.queue.length > 0)
      this.log.info('outbox restored undelivered events', { pending: this.queue.length, firstSeq: this.queue[0]!.seq });
  }

  /** Durably records the event (fsync) and returns its entry; OUTBOX_WRITE when the disk refuses. */
  append(event: PetEvent): OutboxEntry {
    if (this.fd === null && !this.needsRepair) throw new GlovesError('OUTBOX_CLOSED', 'outbox is not open');
    if (this.ackDirty) this.tryPersistAck();
    if (this.needsRepair) this.repair();
    const entry: OutboxEntry = { seq: this.lastSeq + 1, event };
    const buf = Buffer.from(JSON.stringify(entry) + '\n');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd!, buf, off, buf.length - off);
      fsyncSync(this.fd!);
    } catch (err) {
      this.needsRepair = true;
      throw writeError('cannot append to', this.logPath, err);
    }
    this.lastSeq = entry.seq;
    this.queue.push(entry);
    return entry;
  }

  pending(): readonly OutboxEntry[] {
    return this.queue;
  }

  head(): OutboxEntry | undefined {
    return this.queue[0];
  }

  /** Marks the head delivered. Throws OUTBOX_WRITE when the ack could not be saved (the head advanced anyway). */
  ack(seq: number): void {
    const head = this.queue[0];
    if (!head || head.seq !== seq)
      throw new GlovesError('OUTBOX_ORDER', `ack of seq ${seq} but the head is ${head?.seq ?? 'empty'}`, { seq });
    this.acked = seq;
    this.queue.shift();
    this.ackDirty = true;
    try {
      writeFileAtomic(this.ackPath, `${seq}\n`);
    } catch (err) {
      throw writeError('cannot record the delivery in', this.ackPath, err);
    }
    this.ackDirty = false;
    if (this.queue.length === 0) this.compact();
  }

  close(): void {
    if (this.ackDirty) this.tryPersistAck();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.needsRepair = false;
  }

  private compact(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.needsRepair = true;
    try {
      this.repair();
    } catch (err) {
      // Nothing is lost: the old log only holds acked lines. The next append retries.
      throw writeError('cannot compact', this.logPath, err);
    }
  }

  /** Atomically rewrites the log from the pending queue and reopens it for appends. */
  private repair(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    try {
      this.rewrite();
      this.fd = openSync(this.logPath, 'a');
    } catch (err) {
      throw writeError('cannot rewrite', this.logPath, err);
    }
    this.needsRepair = false;
  }

  private tryPersistAck(): void {
    try {
      writeFileAtomic(this.ackPath, `${this.acked}\n`);
      this.ackDirty = false;
    } catch {
      // Still failing: the append below reports the disk problem if it persists.
    }
  }

  private rewrite(): void {
    writeFileAtomic(this.logPath, this.queue.map((e) => JSON.stringify(e) + '\n').join(''));
  }

  private readAcked(): number {
    if (!existsSync(this.ackPath)) return 0;
    const n = Number(readFileSync(this.ackPath, 'utf8').trim());
    if (!Number.isInteger(n) || n < 0) {
      // Refusing to guess: 0 would redeliver (same ids), which is the safe side.
      this.log.error('outbox ack file is unreadable; undelivered events will be re-sent with their original ids', { file: this.ackPath });
      return 0;
    }
    return n;
  }
}

function writeError(what: string, file: string, err: unknown): GlovesError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new GlovesError('OUTBOX_WRITE', `outbox: ${what} ${file} (${code})`, { file, reason: code }, { cause: err });
}

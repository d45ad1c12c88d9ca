/**
 * An advisory lock between processes: a lock file created with O_EXCL that
 * holds the owner's pid. Gallery writers (`gloves enroll`, `remove`, the
 * daemon's visitor naming) take it around read-modify-write, so two runs
 * started together both keep their photos instead of the last rename winning.
 *
 * A waiter polls until `timeoutMs`, then fails with LockBusyError naming the
 * holder (util/ sits beside errors.ts: callers map it to their typed error).
 * A lock whose owner is gone (SIGKILL, power loss) is broken: its file is
 * renamed away first, so of two processes that both saw it stale only one
 * removes it, and neither removes a live owner's fresh lock. A lock file that
 * names no owner (its owner was killed between creating and writing it) is
 * broken once it is older than TORN_LOCK_MS: a live owner writes it at once.
 */
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** The lock stayed taken for the whole wait (callers turn it into their own typed error). */
export class LockBusyError extends Error {
  readonly file: string;
  readonly holder: Holder | null;
  constructor(file: string, holder: Holder | null, timeoutMs: number) {
    const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process';
    super(`locked by ${who}; gave up after ${Math.round(timeoutMs / 1000)} s (remove ${file} if no such process runs)`);
    this.file = file;
    this.holder = holder;
  }
}

export interface Holder {
  pid: number;
  host: string;
  since: string;
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host, since: String(h.since) } : null;
  } catch {
    // Missing, or torn while its owner was still writing it: not provably stale.
    return null;
  }
}

/** Pure enough to test: the owner is gone when it ran on this host and its pid no longer exists. */
export function holderIsGone(h: Holder, host = hostname()): boolean {
  if (h.host !== host) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
  } finally {
    closeSync(fd);
  }
  return true;
}

function breakStale(file: string, seen: Holder): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readHolder(aside);
  if (moved && moved.pid === seen.pid && moved.since === seen.since) {
    unlinkSync(aside);
    return;
  }
  // Between our look and the rename a live owner took the lock: put it back.
  try {
    renameSync(aside, file);
  } catch {
    unlinkSync(aside);
  }
}

/** A lock file without a readable owner older than this is a leftover, not a lock being written. */
export const TORN_LOCK_MS = 5000;

function isTornLeftover(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > TORN_LOCK_MS && readHolder(file) === null;
  } catch {
    return false; // gone meanwhile: the next tryCreate takes it
  }
}

/** Like breakStale, for a file that names no owner: removed only if what was moved aside still names none. */
function breakTorn(file: string): void {
  const aside = `${file}.torn.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return;
  }
  if (readHolder(aside) === null) {
    unlinkSync(aside);
    return;
  }
  try {
    renameSync(aside, file);
  } catch {
    unlinkSync(aside);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` holding the lock `file`; always releases it. File system errors (EACCES, EROFS) are rethrown as they are. */
export async function withFileLock<T>(file: string, timeoutMs: number, fn: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(file)) break;
    const holder = readHolder(file);
    if (holder && holderIsGone(holder)) {
      breakStale(file, holder);
      continue;
    }
    if (!holder && isTornLeftover(file)) {
      breakTorn(file);
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(file, holder, timeoutMs);
    await sleep(20 + Math.random() * 40);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // Already gone (a directory removed under us): nothing to release.
    }
  }
}

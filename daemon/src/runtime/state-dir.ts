/**
 * The daemon's state directory at startup: created when absent, and probed
 * (a small file written, fsynced and removed) so that a path that cannot hold
 * state fails with a typed error naming the path and the reason instead of an
 * INTERNAL errno from whichever write comes first.
 *
 * - a file (or a file on the way) where the directory should be: STATE_DIR_INVALID;
 * - a read-only filesystem or missing permissions: STATE_NOT_WRITABLE;
 * - a full filesystem is NOT fatal (space may come back; events wait in memory,
 *   see events/event-queue.ts): reported as `{ full: true }` for the caller to log.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GlovesError } from '../errors.js';

export interface StateDirStatus {
  /** The filesystem had no room for the probe (ENOSPC, EDQUOT). */
  full: boolean;
}

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EIO';

function refuse(dir: string, err: unknown): GlovesError {
  const code = errno(err);
  if (code === 'EEXIST' || code === 'ENOTDIR')
    return new GlovesError(
      'STATE_DIR_INVALID',
      `device.stateDir ${dir} is not a directory (a file is in the way): move it or set device.stateDir elsewhere`,
      { dir, errno: code },
      { cause: err },
    );
  if (code === 'EROFS')
    return new GlovesError(
      'STATE_NOT_WRITABLE',
      `device.stateDir ${dir} is on a read-only filesystem (EROFS): the daemon needs it writable for the outbox and pet states`,
      { dir, errno: code },
      { cause: err },
    );
  if (code === 'EACCES' || code === 'EPERM')
    return new GlovesError(
      'STATE_NOT_WRITABLE',
      `device.stateDir ${dir} is not writable by this user (${code}): fix its ownership (chown -R gloves: ${dir})`,
      { dir, errno: code },
      { cause: err },
    );
  return new GlovesError('STATE_NOT_WRITABLE', `device.stateDir ${dir} cannot be used (${code})`, { dir, errno: code }, { cause: err });
}

/**
 * mkdir -p one level at a time: Node's recursive mkdir reports ENOENT for a
 * read-only parent, where the plain mkdir of the missing level says EROFS.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d);
}

/** Creates and probes `dir`; throws STATE_DIR_INVALID or STATE_NOT_WRITABLE. */
export function prepareStateDir(dir: string): StateDirStatus {
  try {
    makeDirs(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
  } catch (err) {
    throw refuse(dir, err);
  }
  const probe = join(dir, `.probe-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(probe, 'w');
  } catch (err) {
    if (errno(err) === 'ENOSPC' || errno(err) === 'EDQUOT') return { full: true };
    throw refuse(dir, err);
  }
  try {
    writeSync(fd, 'probe\n');
    fsyncSync(fd);
    return { full: false };
  } catch (err) {
    if (errno(err) === 'ENOSPC' || errno(err) === 'EDQUOT') return { full: true };
    throw refuse(dir, err);
  } finally {
    closeSync(fd);
    try {
      unlinkSync(probe);
    } catch {
      // Removing frees space and never fails on a writable directory; nothing else to do.
    }
  }
}

/**
 * Where the service's logs are: the journal when systemd runs (`journalctl -u gloves`),
 * else the log file the non-systemd start writes (/var/log/gloves/gloves.log, rotated
 * by /etc/logrotate.d/gloves with copytruncate). `tailFile` follows a file across
 * rotation: a new inode (rename) or a truncated file (copytruncate) is read from its beginning.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GlovesError } from '../errors.js';

export const DEFAULT_LOG_FILE = '/var/log/gloves/gloves.log';
export const DEFAULT_UNIT = 'gloves';

export type LogSource = { kind: 'journal'; command: string; args: string[] } | { kind: 'file'; file: string };

export interface LogSourceOptions {
  /** An explicit log file: always read it, never the journal. */
  file?: string | undefined;
  unit: string;
  lines: number;
  follow: boolean;
  /** Is systemd the init system here (/run/systemd/system exists)? */
  systemdRunning: boolean;
  /** Path of journalctl, or null when it is not installed. */
  journalctl: string | null;
}

/** Pure: the journal when systemd runs and journalctl exists, else the log file. */
export function chooseLogSource(o: LogSourceOptions): LogSource {
  if (o.file === undefined && o.systemdRunning && o.journalctl) {
    const args = ['-u', o.unit, '-n', String(o.lines), '--no-pager'];
    if (o.follow) args.push('-f');
    return { kind: 'journal', command: o.journalctl, args };
  }
  return { kind: 'file', file: o.file ?? DEFAULT_LOG_FILE };
}

export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** An executable on PATH (or in the sbin directories a non-root PATH lacks), or null. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of [...(env.PATH ?? '').split(':'), '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Pure: the last `n` complete or partial lines of `text`. */
export function lastLines(text: string, n: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(Math.max(0, lines.length - n));
}

function readRange(file: string, start: number, end: number): string {
  return readBytes(file, start, end).toString('utf8');
}

function readBytes(file: string, start: number, end: number): Buffer {
  if (end <= start) return Buffer.alloc(0);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    let got = 0;
    while (got < buf.length) {
      const r = readSync(fd, buf, got, buf.length - got, start + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export interface TailOptions {
  lines: number;
  follow: boolean;
  write: (text: string) => void;
  /** Follow until this resolves (e.g. on SIGINT). */
  until?: Promise<void>;
  pollMs?: number;
}

/** Print the last lines of a log file, then (with follow) what is appended, across rotations. */
export async function tailFile(file: string, o: TailOptions): Promise<void> {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new GlovesError(
      'LOG_NOT_FOUND',
      `cannot read the log file ${file} (${reason}): is Gloves running without systemd? (see README "Operating a device")`,
      { file, reason },
    );
  }
  // The last lines sit in the last few hundred KiB of any sane log.
  const from = Math.max(0, st.size - 512 * 1024);
  const tail = lastLines(readRange(file, from, st.size), o.lines);
  if (tail.length > 0) o.write(tail.join('\n') + '\n');
  if (!o.follow) return;
  let ino = st.ino;
  let pos = st.size;
  // The last bytes read: when the file no longer holds them at the same offset, it was
  // truncated and rewritten between two polls (copytruncate) and is read from the start.
  let seen = readBytes(file, Math.max(0, pos - 64), pos);
  let stop = false;
  void o.until?.then(() => (stop = true));
  while (!stop) {
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    let now;
    try {
      now = statSync(file);
    } catch {
      continue; // between rename and re-create during rotation
    }
    if (now.ino !== ino || now.size < pos || (seen.length > 0 && !readBytes(file, pos - seen.length, pos).equals(seen))) {
      ino = now.ino;
      pos = 0;
    }
    if (now.size > pos) {
      o.write(readRange(file, pos, now.size));
      pos = now.size;
      seen = readBytes(file, Math.max(0, pos - 64), pos);
    } else if (pos === 0) {
      seen = Buffer.alloc(0);
    }
  }
}

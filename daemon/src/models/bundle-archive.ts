/**
 * A bundle as a .tar: the directory's bundle.json, bundle.sig and listed files (npm `tar` reads and writes the
 * format). Unpacking never lets the archive choose where bytes go: every entry is read into memory first and
 * checked (regular files and directories only, relative paths without `..`, no duplicates, a size cap), and only
 * then written below the destination by this code. Links, devices and absolute paths are refused, not skipped:
 * an archive that tries them is not a bundle anyone should install.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { ModelError } from '../errors.js';
import { BUNDLE_FILE, SIGNATURE_FILE, isSafeRelativePath, verifyBundleDir, type VerifiedBundle } from './bundle.js';
import type { PublicKey } from './bundle-sign.js';

/** Bigger than any model set a device runs; an archive beyond it is refused before it fills the disk. */
export const MAX_BUNDLE_BYTES = 1 << 30;

interface Entry {
  path: string;
  type: string;
  data: Buffer[];
  size: number;
}

function unsafe(source: string, message: string, details: Record<string, unknown> = {}): ModelError {
  return new ModelError('BUNDLE_ARCHIVE_UNSAFE', `${source}: ${message}`, { source, ...details, reason: 'unsafe archive' });
}

async function readEntries(input: Readable, source: string, maxBytes: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  let total = 0;
  let failure: ModelError | null = null;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (e) => {
      const entry: Entry = { path: e.path, type: e.type, data: [], size: 0 };
      entries.push(entry);
      e.on('data', (chunk: Buffer) => {
        total += chunk.length;
        entry.size += chunk.length;
        if (total > maxBytes) failure ??= unsafe(source, `archive is larger than ${maxBytes} bytes`);
        else entry.data.push(chunk);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', (err: Error) => reject(unsafe(source, `not a readable tar archive: ${err.message}`)));
    parser.on('warn', (_code: string, message: string) => (failure ??= unsafe(source, `not a valid tar archive: ${message}`)));
    input.on('error', (err) => reject(unsafe(source, `cannot read: ${err.message}`)));
    input.pipe(parser);
  });
  if (failure) throw failure;
  return entries;
}

/** Pure: the entries' paths relative to the bundle root (bundle.json at the top, or inside one top-level folder). */
export function bundleRootPrefix(paths: readonly string[]): string | null {
  if (paths.includes(BUNDLE_FILE)) return '';
  const tops = new Set(paths.map((p) => p.split('/')[0]));
  if (tops.size !== 1) return null;
  const top = [...tops][0]!;
  return paths.includes(`${top}/${BUNDLE_FILE}`) ? `${top}/` : null;
}

/**
 * Unpack a bundle archive (a file path or a stream) into `dest` (created; should be empty). Returns `dest`.
 * Throws BUNDLE_ARCHIVE_UNSAFE naming the first offending entry.
 */
export async function unpackBundle(input: string | Readable, dest: string, maxBytes = MAX_BUNDLE_BYTES): Promise<string> {
  const source = typeof input === 'string' ? input : 'uploaded archive';
  const stream = typeof input === 'string' ? Readable.from([readFileSync(input)]) : input;
  const entries = await readEntries(stream, source, maxBytes);
  const files: { path: string; data: Buffer }[] = [];
  for (const e of entries) {
    const path = e.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (e.type === 'Directory') {
      if (path !== '' && !isSafeRelativePath(path)) throw unsafe(source, `entry ${JSON.stringify(e.path)} leaves the bundle`, { entry: e.path });
      continue;
    }
    if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile')
      throw unsafe(source, `entry ${JSON.stringify(e.path)} is a ${e.type}; a bundle holds regular files only`, { entry: e.path });
    if (!isSafeRelativePath(path)) throw unsafe(source, `entry ${JSON.stringify(e.path)} leaves the bundle`, { entry: e.path });
    if (files.some((f) => f.path === path)) throw unsafe(source, `entry ${JSON.stringify(path)} appears twice`, { entry: path });
    files.push({ path, data: Buffer.concat(e.data) });
  }
  const prefix = bundleRootPrefix(files.map((f) => f.path));
  if (prefix === null) throw new ModelError('BUNDLE_INVALID', `${source} holds no ${BUNDLE_FILE}: not a bundle`, { source, reason: 'invalid' });
  mkdirSync(dest, { recursive: true });
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const target = join(dest, f.path.slice(prefix.length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data, { mode: 0o644 });
  }
  return dest;
}

/** The archive of a bundle directory: bundle.json, bundle.sig (when present) and `files`, in that order. */
export function packBundle(dir: string, files: readonly string[], withSignature = true): Readable {
  const names = [BUNDLE_FILE, ...(withSignature ? [SIGNATURE_FILE] : []), ...files];
  // portable: no uid/gid/user names or ctime, so the same bundle packs to the same bytes on any machine.
  return tar.create({ cwd: dir, portable: true, noDirRecurse: true, mtime: new Date(0) }, names) as unknown as Readable;
}

export async function packBundleToBuffer(dir: string, files: readonly string[], withSignature = true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of packBundle(dir, files, withSignature)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Verify a bundle directory or .tar (unpacked into a temporary directory under `workDir`, default the system's).
 * `release()` removes that temporary copy; the verified bundle's `dir` is valid until then.
 */
export async function openBundle(
  path: string,
  trusted: readonly PublicKey[],
  workDir = tmpdir(),
): Promise<{ bundle: VerifiedBundle; release(): void }> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ModelError('BUNDLE_INVALID', `bundle ${path} does not exist`, { path, reason: 'invalid' });
  }
  if (isDir) return { bundle: verifyBundleDir(path, trusted), release: () => {} };
  mkdirSync(workDir, { recursive: true });
  const tmp = mkdtempSync(join(workDir, '.bundle-'));
  const release = (): void => rmSync(tmp, { recursive: true, force: true });
  try {
    await unpackBundle(path, tmp);
    return { bundle: verifyBundleDir(tmp, trusted, path), release };
  } catch (err) {
    release();
    throw err;
  }
}

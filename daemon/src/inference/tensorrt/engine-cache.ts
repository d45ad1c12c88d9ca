/**
 * The on-disk engine cache of the TensorRT backend: engine files named by their
 * key (./policy.ts engineFileName) and one timing cache per TensorRT
 * version and device.
 *
 * Error policy (an engine build takes minutes on a Jetson Nano):
 * - a cached engine is deleted only when TensorRT refused its bytes
 *   (TRT_DESERIALIZE_FAILED); any other load failure (out of memory, no stream,
 *   DLA) is the caller's error and the file stays;
 * - the cache is an optimisation: a directory or file that cannot be written is
 *   a warning, and the engine just built is used anyway.
 * Files are written atomically (temp file + rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';

export class EngineCache {
  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  path(fileName: string): string {
    return join(this.dir, fileName);
  }

  /** The bytes of a cached file, or null when absent or unreadable (warned). */
  read(fileName: string): Buffer | null {
    const file = this.path(fileName);
    if (!existsSync(file)) return null;
    try {
      return readFileSync(file);
    } catch (err) {
      this.log.warn(`cannot read cached file ${file}: ${(err as Error).message}`, { file });
      return null;
    }
  }

  /** Write atomically; false (warned, never thrown) when the cache cannot be written. */
  write(fileName: string, bytes: Uint8Array, what: string): boolean {
    const file = this.path(fileName);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
      return true;
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // the directory itself is unusable: nothing was left behind
      }
      this.log.warn(`cannot cache the ${what} in ${this.dir}: ${(err as Error).message}; continuing without caching it`, {
        file,
        code: (err as NodeJS.ErrnoException).code,
      });
      return false;
    }
  }

  remove(fileName: string): void {
    try {
      rmSync(this.path(fileName), { force: true });
    } catch (err) {
      this.log.warn(`cannot delete ${this.path(fileName)}: ${(err as Error).message}`);
    }
  }
}

/** One timing cache per TensorRT version and device (tactic timings do not depend on the model). */
export function timingCacheFileName(
  tensorrtVersion: string,
  computeCapability: string,
  deviceName: string | null,
  multiprocessors: number | null,
): string {
  const dev = createHash('sha256')
    .update(JSON.stringify([deviceName, multiprocessors]))
    .digest('hex')
    .slice(0, 8);
  return `timing.trt${tensorrtVersion}.sm${computeCapability.replace('.', '')}.${dev}.cache`;
}

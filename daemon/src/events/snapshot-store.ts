/**
 * The latest snapshot of each pet, and of the latest unknown animal, on disk:
 * one place for their file names, their (atomic) writing and their reading.
 * The daemon writes a pet's when a visit starts and when its crop improves, the
 * unknown animal's with each `unknown_seen`; the MQTT side re-publishes them
 * retained on every connect.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

export class SnapshotStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `<dir>/<petId>.jpg`, with anything but [a-zA-Z0-9_-] in the id replaced by `_`. */
  path(petId: string): string {
    return join(this.dir, `${petId.replace(/[^a-zA-Z0-9_-]/g, '_')}.jpg`);
  }

  write(petId: string, jpeg: Uint8Array): void {
    writeFileAtomic(this.path(petId), jpeg);
  }

  /** The stored JPEG, or null when there is none. */
  read(petId: string): Buffer | null {
    const p = this.path(petId);
    return existsSync(p) ? readFileSync(p) : null;
  }

  /** `<dir>/unknown/latest.jpg`: a folder of its own, so no pet id can name the same file. */
  get unknownPath(): string {
    return join(this.dir, 'unknown', 'latest.jpg');
  }

  writeUnknown(jpeg: Uint8Array): void {
    writeFileAtomic(this.unknownPath, jpeg);
  }

  readUnknown(): Buffer | null {
    return existsSync(this.unknownPath) ? readFileSync(this.unknownPath) : null;
  }
}

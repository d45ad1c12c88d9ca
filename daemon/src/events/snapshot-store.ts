/**
 * The latest snapshot of each pet, on disk: one place for its file name, its
 * (atomic) writing and its reading. The daemon writes it when a visit's crop
 * improves; the MQTT side re-publishes it retained on every connect.
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
}

/**
 * Keeps the running daemon in step with its gallery, with no restart: after every change (an
 * HTTP enrolment here, or `gloves enroll`/`remove` in another process, seen by watching
 * gallery.json) presence gets the new set of pets, Home Assistant discovery is re-announced and
 * removed pets' entities are cleared. The matcher follows by itself (it rebuilds its prototypes
 * when the gallery's revision moves). A file change is re-read whole and swapped in at once
 * (Gallery.reload); a file that does not parse is logged and the gallery in memory is kept.
 */
import { watch, type FSWatcher } from 'node:fs';
import { GALLERY_FILE } from '../recognition/gallery/gallery.js';
import type { Logger } from '../log/logger.js';
import type { MqttBridge } from '../mqtt/bridge.js';
import type { Presence } from '../presence/presence.js';
import { GlovesError } from '../errors.js';
import type { Outputs } from './outputs.js';
import type { RecognitionService } from './recognition-service.js';

/** Writers replace gallery.json by rename, often in bursts (crops, then the index): wait for the dust to settle. */
const DEBOUNCE_MS = 150;

export interface GallerySyncParts {
  recognition: RecognitionService;
  presence: Presence;
  bridge: MqttBridge;
  outputs: Outputs;
}

export class GallerySync {
  private readonly p: GallerySyncParts;
  private readonly log: Logger;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private revision = -1;

  constructor(parts: GallerySyncParts, log: Logger) {
    this.p = parts;
    this.log = log;
  }

  /** Watches the gallery directory (the file itself is replaced by rename, so a watch on it would go stale). */
  start(): void {
    const gallery = this.p.recognition.gallery;
    this.revision = gallery.revision;
    try {
      this.watcher = watch(gallery.dir, (_event, file) => {
        if (file === null || file === GALLERY_FILE) this.schedule();
      });
      this.watcher.on('error', (err) =>
        this.log.warn('gallery watch failed: enrolments by other processes need a restart', { error: err }),
      );
    } catch (err) {
      // The directory does not exist until the first enrolment writes it; HTTP enrolments still sync.
      this.log.info('not watching the gallery directory (it does not exist yet)', { dir: gallery.dir, error: err as Error });
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The gallery changed in this process: bring presence and discovery along. */
  changed(why: string): void {
    const gallery = this.p.recognition.gallery;
    this.revision = gallery.revision;
    const pets = gallery.pets().map((p) => ({ petId: p.id, name: p.name }));
    const ids = new Set(pets.map((p) => p.petId));
    const removed = this.p.presence
      .pets()
      .map((p) => p.petId)
      .filter((id) => !ids.has(id));
    this.p.presence.setPets(pets);
    this.p.bridge.updatePets(pets, removed);
    this.p.outputs.persist();
    this.log.info('gallery changed', { why, pets: pets.map((p) => p.name), removed, revision: gallery.revision });
    if (!this.watcher) this.start();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reload();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  private reload(): void {
    const gallery = this.p.recognition.gallery;
    try {
      gallery.reload();
    } catch (err) {
      const e = GlovesError.from(err);
      this.log.error(`gallery file changed but cannot be read; keeping the gallery in memory: ${e.message}`, { code: e.code });
      return;
    }
    if (gallery.revision !== this.revision) this.changed('gallery file changed');
  }
}

/**
 * The on-disk pet gallery.
 *
 * Layout under `dir`:
 *   gallery.json                    pets, photos and embeddings (base64 float32), the embedder model id
 *   crops/<petId>/<photoId>.jpg     the enrolment crops (so a new embedder can re-embed without re-enrolling)
 *
 * Writes are atomic (../../util/atomic-file.ts): crops are written first, then gallery.json is
 * replaced in one rename, so a crash leaves the previous gallery intact (at worst
 * with an orphan crop file that nothing references; a write that fails removes
 * its crops). The in-memory state changes only after the write succeeded.
 *
 * Every change is a read-modify-write under an inter-process lock (.gallery.lock,
 * ../../util/file-lock.ts) that starts from the file as it is now, not from what
 * this process read at open: two `gloves enroll` runs started together both keep
 * their photos. A read-only gallery.json is refused, never silently replaced.
 *
 * Errors (GalleryError, code): GALLERY_NOT_FOUND, GALLERY_CORRUPT, GALLERY_MODEL_MISMATCH,
 * PET_NOT_FOUND, PHOTO_NOT_FOUND, PET_NAME_INVALID, PET_NAME_CONFLICT, GALLERY_WRITE_FAILED, GALLERY_LOCKED.
 */
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GlovesError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { LockBusyError, withFileLock } from '../../util/file-lock.js';
import { uniquePetId, validatePetName } from './pet-id.js';
import {
  decodeEmbedding,
  encodeEmbedding,
  GALLERY_FILE,
  GalleryError,
  readDoc,
  FORMAT,
  type GalleryDoc,
  type PhotoDoc,
} from './gallery-file.js';
import type { AnimalLabel, Box } from '../types.js';

export { GALLERY_FILE, GalleryError };

export const GALLERY_LOCK_FILE = '.gallery.lock';
export interface GalleryPhoto {
  id: string;
  /** Path of the crop JPEG relative to the gallery directory. */
  crop: string;
  /** Where the photo came from (file path as given at enrolment). */
  source: string;
  label: AnimalLabel;
  score: number;
  box: Box;
  addedAt: string;
  embedding: Float32Array;
}

export interface GalleryPet {
  id: string;
  name: string;
  createdAt: string;
  photos: readonly GalleryPhoto[];
}

export interface NewPhoto {
  jpeg: Uint8Array;
  embedding: Float32Array;
  source: string;
  label: AnimalLabel;
  score: number;
  box: Box;
}

export interface GalleryView {
  readonly embedderModelId: string;
  /** Increases on every change; matchers rebuild their prototypes when it moves. */
  readonly revision: number;
  pets(): readonly GalleryPet[];
}

export interface Gallery extends GalleryView {
  readonly dir: string;
  findPet(nameOrId: string): GalleryPet | undefined;
  /**
   * Add photos to the pet called `name` (case-insensitive; created when new); returns the pet.
   * A name that is another pet's id (not its name) is refused with PET_NAME_CONFLICT rather
   * than merged into that pet.
   */
  addPhotos(name: string, photos: readonly NewPhoto[]): Promise<GalleryPet>;
  /** Remove pets by name or id in one write; the same pet named twice counts once. Returns the removed pets. */
  removePets(namesOrIds: readonly string[]): Promise<GalleryPet[]>;
  removePet(nameOrId: string): Promise<void>;
  /** Remove one photo of a pet (the pet stays, possibly with no photos). */
  removePhoto(nameOrId: string, photoId: string): Promise<void>;
  /** Replace every photo's embedding and the model id (re-embedding); same photo order as pets(). */
  replaceEmbeddings(embedderModelId: string, embeddings: ReadonlyMap<string, Float32Array>): Promise<void>;
  /** Re-read gallery.json (e.g. after another process enrolled). */
  reload(): void;
  cropPath(photo: GalleryPhoto): string;
}

export interface OpenGalleryOptions {
  /** Start an empty gallery when none exists (enrol). Default false. */
  create?: boolean;
  /** Open even when the embedder model differs (for re-embedding). Default false. */
  allowModelMismatch?: boolean;
  /** How long a change waits for another process's write to finish. Default 30 s. */
  lockTimeoutMs?: number;
}

function toPhoto(p: PhotoDoc, petId: string): GalleryPhoto {
  return { ...p, box: [...p.box] as Box, embedding: decodeEmbedding(p.embedding, `${petId}/${p.id}`) };
}

function toDocPhoto(p: GalleryPhoto): PhotoDoc {
  return {
    id: p.id,
    crop: p.crop,
    source: p.source,
    label: p.label,
    score: p.score,
    box: [...p.box],
    addedAt: p.addedAt,
    embedding: encodeEmbedding(p.embedding),
  };
}

interface State {
  embedderModelId: string;
  revision: number;
  pets: GalleryPet[];
}

function load(dir: string): State {
  const doc = readDoc(dir);
  const pets = doc.pets.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt, photos: p.photos.map((ph) => toPhoto(ph, p.id)) }));
  const dims = new Set(pets.flatMap((p) => p.photos.map((ph) => ph.embedding.length)));
  if (dims.size > 1) throw new GalleryError('GALLERY_CORRUPT', `gallery ${dir} mixes embedding sizes ${[...dims].join(', ')}`, { dir });
  return { embedderModelId: doc.embedderModelId, revision: doc.revision, pets };
}

export function openGallery(dir: string, embedderModelId: string, log: Logger, opts: OpenGalleryOptions = {}): Gallery {
  const file = join(dir, GALLERY_FILE);
  let state: State;
  if (existsSync(file)) {
    state = load(dir);
  } else if (opts.create) {
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw new GalleryError('GALLERY_NOT_FOUND', `gallery path ${dir} is not a directory`, { dir });
    state = { embedderModelId, revision: 0, pets: [] };
  } else {
    throw new GalleryError(
      'GALLERY_NOT_FOUND',
      `no gallery at ${dir} (enrol a pet first: gloves enroll --gallery ${dir} --name NAME PHOTO...)`,
      { dir },
    );
  }
  const checkModel = (s: State): void => {
    if (s.embedderModelId !== embedderModelId && !opts.allowModelMismatch) {
      throw new GalleryError(
        'GALLERY_MODEL_MISMATCH',
        `gallery ${dir} was embedded with ${s.embedderModelId}, but the embedder is ${embedderModelId}: run \`gloves enroll --gallery ${dir} --reembed\``,
        { dir, gallery: s.embedderModelId, embedder: embedderModelId },
      );
    }
  };
  checkModel(state);

  const persist = (next: State): void => {
    const doc: GalleryDoc = {
      format: FORMAT,
      version: 1,
      embedderModelId: next.embedderModelId,
      revision: next.revision,
      pets: next.pets.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt, photos: p.photos.map(toDocPhoto) })),
    };
    // Root may write anyway, and the rename would replace the file with a writable one:
    // a gallery someone made read-only must stay as it is.
    if (existsSync(file) && (statSync(file).mode & 0o200) === 0)
      throw new GalleryError('GALLERY_WRITE_FAILED', `gallery ${file} is read-only; make it writable (chmod u+w) to change it`, { file });
    try {
      writeFileAtomic(file, JSON.stringify(doc));
    } catch (err) {
      throw new GalleryError('GALLERY_WRITE_FAILED', `cannot write gallery ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    state = next;
    log.debug('gallery written', { dir, revision: next.revision, pets: next.pets.length });
  };

  /** Read-modify-write under the lock, from the file as another process may have left it. */
  const change = async (fn: (s: State) => State): Promise<State> => {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new GalleryError('GALLERY_WRITE_FAILED', `cannot create gallery ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
    }
    try {
      return await withFileLock(join(dir, GALLERY_LOCK_FILE), opts.lockTimeoutMs ?? 30_000, () => {
        if (existsSync(file)) {
          const fresh = load(dir);
          checkModel(fresh);
          state = fresh;
        }
        const next = fn(state);
        persist(next);
        return next;
      });
    } catch (err) {
      if (err instanceof LockBusyError)
        throw new GalleryError('GALLERY_LOCKED', `gallery ${dir} is ${err.message}`, { dir, holder: err.holder }, { cause: err });
      if (err instanceof GlovesError) throw err;
      throw new GalleryError('GALLERY_WRITE_FAILED', `cannot lock gallery ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
    }
  };

  const find = (s: State, key: string): GalleryPet | undefined => {
    const k = key.trim().toLowerCase();
    return s.pets.find((p) => p.id === key) ?? s.pets.find((p) => p.name.toLowerCase() === k);
  };

  /** The pet a new photo named `clean` belongs to: by name only, never by another pet's id. */
  const ownerOf = (s: State, clean: string): GalleryPet | undefined => {
    const byName = s.pets.find((p) => p.name.toLowerCase() === clean.toLowerCase());
    if (byName) return byName;
    const byId = s.pets.find((p) => p.id === clean || p.id === clean.toLowerCase());
    if (byId) {
      throw new GalleryError(
        'PET_NAME_CONFLICT',
        `${JSON.stringify(clean)} is the id of the pet ${JSON.stringify(byId.name)}, not a pet's name: ` +
          `use --name ${JSON.stringify(byId.name)} to add photos to it, or choose another name for a new pet`,
        { name: clean, pet: byId.id },
      );
    }
    return undefined;
  };

  const writeCrops = (id: string, photos: readonly NewPhoto[], now: string): GalleryPhoto[] => {
    const added: GalleryPhoto[] = [];
    try {
      mkdirSync(join(dir, 'crops', id), { recursive: true });
      for (const ph of photos) {
        const photoId = randomBytes(8).toString('hex');
        const crop = `crops/${id}/${photoId}.jpg`;
        writeFileAtomic(join(dir, crop), ph.jpeg);
        const { source, label, score, box, embedding } = ph;
        added.push({ id: photoId, crop, source, label, score, box, addedAt: now, embedding });
      }
    } catch (err) {
      removeCrops(added);
      throw new GalleryError('GALLERY_WRITE_FAILED', `cannot write crops in ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
    }
    return added;
  };

  const removeCrops = (photos: readonly GalleryPhoto[]): void => {
    for (const ph of photos) {
      try {
        unlinkSync(join(dir, ph.crop));
      } catch {
        // Never written, or already gone.
      }
    }
  };

  const gallery: Gallery = {
    dir,
    get embedderModelId() {
      return state.embedderModelId;
    },
    get revision() {
      return state.revision;
    },
    pets: () => state.pets,
    findPet: (key) => find(state, key),
    async addPhotos(name, photos) {
      const clean = validatePetName(name);
      let pet: GalleryPet | undefined;
      let added: GalleryPhoto[] = [];
      try {
        await change((s) => {
          const existing = ownerOf(s, clean);
          const id = existing?.id ?? uniquePetId(clean, new Set(s.pets.map((p) => p.id)));
          added = writeCrops(id, photos, new Date().toISOString());
          const p: GalleryPet = existing
            ? { ...existing, photos: [...existing.photos, ...added] }
            : { id, name: clean, createdAt: added[0]?.addedAt ?? new Date().toISOString(), photos: added };
          pet = p;
          const pets = existing ? s.pets.map((x) => (x.id === id ? p : x)) : [...s.pets, p];
          return { embedderModelId: s.embedderModelId, revision: s.revision + 1, pets };
        });
      } catch (err) {
        // The index was not written: crops nobody will reference must not stay behind.
        removeCrops(added);
        throw err;
      }
      return pet!;
    },
    async removePets(keys) {
      let removed: GalleryPet[] = [];
      await change((s) => {
        // Resolve every name first: a typo must not leave a half-applied removal.
        const pets = keys.map((key) => {
          const pet = find(s, key);
          if (!pet)
            throw new GalleryError('PET_NOT_FOUND', `no pet ${JSON.stringify(key)} in gallery ${dir}; nothing was removed`, {
              dir,
              pet: key,
            });
          return pet;
        });
        removed = [...new Map(pets.map((p) => [p.id, p])).values()];
        const gone = new Set(removed.map((p) => p.id));
        // Crops stay on disk (harmless); only the index forgets the pets.
        return { ...s, revision: s.revision + 1, pets: s.pets.filter((p) => !gone.has(p.id)) };
      });
      return removed;
    },
    async removePet(key) {
      await gallery.removePets([key]);
    },
    async removePhoto(key, photoId) {
      await change((s) => {
        const pet = find(s, key);
        if (!pet) throw new GalleryError('PET_NOT_FOUND', `no pet ${JSON.stringify(key)} in gallery ${dir}`, { dir, pet: key });
        if (!pet.photos.some((ph) => ph.id === photoId))
          throw new GalleryError('PHOTO_NOT_FOUND', `pet ${pet.name} has no photo ${JSON.stringify(photoId)}`, {
            pet: pet.id,
            photo: photoId,
          });
        // As with removePets, the crop file stays (harmless); the index forgets the photo.
        const next = { ...pet, photos: pet.photos.filter((ph) => ph.id !== photoId) };
        return { ...s, revision: s.revision + 1, pets: s.pets.map((p) => (p.id === pet.id ? next : p)) };
      });
    },
    async replaceEmbeddings(modelId, embeddings) {
      await change((s) => {
        const pets = s.pets.map((p) => ({
          ...p,
          photos: p.photos.map((ph) => {
            const e = embeddings.get(ph.id);
            if (!e) throw new GalleryError('GALLERY_CORRUPT', `no new embedding for photo ${p.id}/${ph.id}`, { pet: p.id, photo: ph.id });
            return { ...ph, embedding: e };
          }),
        }));
        return { embedderModelId: modelId, revision: s.revision + 1, pets };
      });
    },
    reload() {
      if (!existsSync(file)) return;
      const next = load(dir);
      checkModel(next);
      state = next;
    },
    cropPath: (photo) => join(dir, photo.crop),
  };
  return gallery;
}

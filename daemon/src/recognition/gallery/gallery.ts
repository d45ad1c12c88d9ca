/**
 * The on-disk pet gallery.
 *
 * Layout under `dir`:
 *   gallery.json                    pets, photos and embeddings (base64 float32), the embedder model id
 *   crops/<petId>/<photoId>.jpg     the enrolment crops (so a new embedder can re-embed without re-enrolling)
 *
 * Writes are atomic (../../util/atomic-file.ts): crops are written first, then gallery.json is
 * replaced in one rename, so a crash leaves the previous gallery intact (at worst
 * with an orphan crop file that nothing references). The in-memory state changes
 * only after the write succeeded.
 *
 * Errors (GalleryError, code): GALLERY_NOT_FOUND, GALLERY_CORRUPT, GALLERY_MODEL_MISMATCH,
 * PET_NOT_FOUND, PHOTO_NOT_FOUND, PET_NAME_INVALID, GALLERY_WRITE_FAILED.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { GlovesError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { PET_ID_RE, uniquePetId, validatePetName } from './pet-id.js';
import type { AnimalLabel, Box } from '../types.js';

export class GalleryError extends GlovesError {}

export const GALLERY_FILE = 'gallery.json';
const FORMAT = 'gloves-gallery';

const photoSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]{1,32}$/),
  crop: z.string().regex(/^crops\/[a-z0-9_-]+\/[a-z0-9]+\.jpg$/),
  source: z.string(),
  label: z.enum(['cat', 'dog']),
  score: z.number(),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  addedAt: z.string(),
  embedding: z.string().min(1),
});
const petSchema = z.strictObject({
  id: z.string().regex(PET_ID_RE),
  name: z.string().min(1),
  createdAt: z.string(),
  photos: z.array(photoSchema),
});
const docSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  embedderModelId: z.string().min(1),
  revision: z.number().int().min(0),
  pets: z.array(petSchema),
});
type PhotoDoc = z.output<typeof photoSchema>;
type GalleryDoc = z.output<typeof docSchema>;

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
  /** Add photos to the pet called `name` (created when new); returns the pet. */
  addPhotos(name: string, photos: readonly NewPhoto[]): Promise<GalleryPet>;
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
}

function encodeEmbedding(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decodeEmbedding(s: string, where: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.length === 0 || b.length % 4 !== 0)
    throw new GalleryError('GALLERY_CORRUPT', `gallery embedding of ${where} is malformed`, { where });
  const v = new Float32Array(b.length / 4);
  new Uint8Array(v.buffer).set(b);
  if (!v.every(Number.isFinite))
    throw new GalleryError('GALLERY_CORRUPT', `gallery embedding of ${where} has non-finite values`, { where });
  return v;
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

function readDoc(dir: string): GalleryDoc {
  const file = join(dir, GALLERY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GalleryError('GALLERY_CORRUPT', `cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new GalleryError('GALLERY_CORRUPT', `gallery ${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
  const res = docSchema.safeParse(obj);
  if (!res.success) {
    const problems = res.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GalleryError('GALLERY_CORRUPT', `gallery ${file} is malformed: ${problems.join('; ')}`, { file, problems });
  }
  const ids = new Set<string>();
  for (const p of res.data.pets) {
    if (ids.has(p.id)) throw new GalleryError('GALLERY_CORRUPT', `gallery ${file} has duplicate pet id ${p.id}`, { file });
    ids.add(p.id);
  }
  return res.data;
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
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(doc));
    } catch (err) {
      throw new GalleryError('GALLERY_WRITE_FAILED', `cannot write gallery ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    state = next;
    log.debug('gallery written', { dir, revision: next.revision, pets: next.pets.length });
  };

  const find = (s: State, key: string): GalleryPet | undefined => {
    const k = key.trim().toLowerCase();
    return s.pets.find((p) => p.id === key) ?? s.pets.find((p) => p.name.toLowerCase() === k);
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
      if (state.embedderModelId !== embedderModelId) checkModel(state);
      const existing = find(state, clean);
      const id = existing?.id ?? uniquePetId(clean, new Set(state.pets.map((p) => p.id)));
      const now = new Date().toISOString();
      const added: GalleryPhoto[] = [];
      for (const ph of photos) {
        const photoId = randomBytes(8).toString('hex');
        const crop = `crops/${id}/${photoId}.jpg`;
        try {
          mkdirSync(join(dir, 'crops', id), { recursive: true });
          writeFileAtomic(join(dir, crop), ph.jpeg);
        } catch (err) {
          throw new GalleryError(
            'GALLERY_WRITE_FAILED',
            `cannot write crop ${crop} in ${dir}: ${(err as Error).message}`,
            { dir },
            { cause: err },
          );
        }
        added.push({
          id: photoId,
          crop,
          source: ph.source,
          label: ph.label,
          score: ph.score,
          box: ph.box,
          addedAt: now,
          embedding: ph.embedding,
        });
      }
      const pet: GalleryPet = existing
        ? { ...existing, photos: [...existing.photos, ...added] }
        : { id, name: clean, createdAt: now, photos: added };
      const pets = existing ? state.pets.map((p) => (p.id === id ? pet : p)) : [...state.pets, pet];
      persist({ embedderModelId: state.embedderModelId, revision: state.revision + 1, pets });
      return pet;
    },
    async removePet(key) {
      const pet = find(state, key);
      if (!pet) throw new GalleryError('PET_NOT_FOUND', `no pet ${JSON.stringify(key)} in gallery ${dir}`, { dir, pet: key });
      // Crops stay on disk (harmless); only the index forgets the pet.
      persist({ ...state, revision: state.revision + 1, pets: state.pets.filter((p) => p.id !== pet.id) });
    },
    async removePhoto(key, photoId) {
      const pet = find(state, key);
      if (!pet) throw new GalleryError('PET_NOT_FOUND', `no pet ${JSON.stringify(key)} in gallery ${dir}`, { dir, pet: key });
      if (!pet.photos.some((ph) => ph.id === photoId))
        throw new GalleryError('PHOTO_NOT_FOUND', `pet ${pet.name} has no photo ${JSON.stringify(photoId)}`, {
          pet: pet.id,
          photo: photoId,
        });
      // As with removePet, the crop file stays (harmless); the index forgets the photo.
      const next = { ...pet, photos: pet.photos.filter((ph) => ph.id !== photoId) };
      persist({ ...state, revision: state.revision + 1, pets: state.pets.map((p) => (p.id === pet.id ? next : p)) });
    },
    async replaceEmbeddings(modelId, embeddings) {
      const pets = state.pets.map((p) => ({
        ...p,
        photos: p.photos.map((ph) => {
          const e = embeddings.get(ph.id);
          if (!e) throw new GalleryError('GALLERY_CORRUPT', `no new embedding for photo ${p.id}/${ph.id}`, { pet: p.id, photo: ph.id });
          return { ...ph, embedding: e };
        }),
      }));
      persist({ embedderModelId: modelId, revision: state.revision + 1, pets });
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

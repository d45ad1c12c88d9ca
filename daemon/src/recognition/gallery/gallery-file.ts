/**
 * The file format of gallery.json (../gallery.ts holds the gallery itself): its
 * schema, the base64 float32 embeddings, and the strict reading that turns any
 * malformed file into GALLERY_CORRUPT naming the problems.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { GlovesError } from '../../errors.js';
import { PET_ID_RE } from './pet-id.js';

export class GalleryError extends GlovesError {}

export const GALLERY_FILE = 'gallery.json';

export const FORMAT = 'gloves-gallery';

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
export type PhotoDoc = z.output<typeof photoSchema>;
export type GalleryDoc = z.output<typeof docSchema>;

export function encodeEmbedding(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function decodeEmbedding(s: string, where: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.length === 0 || b.length % 4 !== 0)
    throw new GalleryError('GALLERY_CORRUPT', `gallery embedding of ${where} is malformed`, { where });
  const v = new Float32Array(b.length / 4);
  new Uint8Array(v.buffer).set(b);
  if (!v.every(Number.isFinite))
    throw new GalleryError('GALLERY_CORRUPT', `gallery embedding of ${where} has non-finite values`, { where });
  return v;
}

export function readDoc(dir: string): GalleryDoc {
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

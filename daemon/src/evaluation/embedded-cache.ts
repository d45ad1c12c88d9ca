/**
 * A JSON cache of embedded dataset photos (pet, file, detection, embedding), so that
 * evaluations and fitting can be repeated without running the models again.
 */
import { GlovesError } from '../errors.js';
import type { EmbeddedPhoto } from './dataset.js';
import { b64ToF32, f32ToB64 } from '../recognition/matching/stats.js';

export function saveEmbeddedCache(embedderModelId: string, items: readonly EmbeddedPhoto[]): string {
  return JSON.stringify({
    format: 'gloves-embedded-photos',
    embedderModelId,
    items: items.map((i) => ({ pet: i.pet, file: i.file, detection: i.detection, embedding: i.embedding ? f32ToB64(i.embedding) : null })),
  });
}

export function loadEmbeddedCache(text: string, source: string): { embedderModelId: string; items: EmbeddedPhoto[] } {
  let doc: {
    format?: string;
    embedderModelId?: string;
    items?: { pet: string; file: string; detection: EmbeddedPhoto['detection']; embedding: string | null }[];
  };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new GlovesError('DATASET_CACHE_INVALID', `embedding cache ${source} is not valid JSON`, { source }, { cause: err });
  }
  if (doc.format !== 'gloves-embedded-photos' || !doc.embedderModelId || !Array.isArray(doc.items)) {
    throw new GlovesError('DATASET_CACHE_INVALID', `embedding cache ${source} is not a gloves-embedded-photos file`, { source });
  }
  return {
    embedderModelId: doc.embedderModelId,
    items: doc.items.map((i) => ({
      pet: i.pet,
      file: i.file,
      detection: i.detection,
      embedding: i.embedding ? b64ToF32(i.embedding) : null,
    })),
  };
}

/**
 * Datasets for evaluation and calibration: DIR/<pet>/<photo>, one folder per pet,
 * photos sorted by file name. Embedding a dataset runs the same detector and
 * embedder as the daemon; each photo is judged by its highest-scoring detection.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { decodeImageFile } from '../vision/decode.js';
import type { Detection, Detector, Embedder } from '../recognition/types.js';

export const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

export interface DatasetPet {
  name: string;
  photos: string[];
}

export interface EmbeddedPhoto {
  pet: string;
  file: string;
  detection: Detection | null;
  embedding: Float32Array | null;
}

export function listDataset(dir: string): DatasetPet[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new GlovesError('DATASET_NOT_FOUND', `cannot read dataset ${dir}: ${(err as Error).message}`, { dir }, { cause: err });
  }
  const pets = entries
    .filter((e) => statSync(join(dir, e)).isDirectory())
    .map((name) => ({
      name,
      photos: readdirSync(join(dir, name))
        .filter((f) => IMAGE_EXT.test(f))
        .sort()
        .map((f) => join(dir, name, f)),
    }))
    .filter((p) => p.photos.length > 0);
  if (pets.length < 2)
    throw new GlovesError('DATASET_EMPTY', `dataset ${dir} needs at least two folders of photos (one per pet), found ${pets.length}`, {
      dir,
    });
  return pets;
}

/** The K enrolment shots of n photos: indices floor(i*n/K), i = 0..K-1 (deduplicated). */
export function enrolmentIndices(n: number, k: number): number[] {
  return [...new Set(Array.from({ length: k }, (_, i) => Math.floor((i * n) / k)))];
}

export async function embedDataset(
  pets: readonly DatasetPet[],
  detector: Detector,
  embedder: Embedder,
  log: Logger,
): Promise<EmbeddedPhoto[]> {
  const out: EmbeddedPhoto[] = [];
  for (const p of pets) {
    for (const file of p.photos) {
      let detection: Detection | null = null;
      let embedding: Float32Array | null = null;
      try {
        const img = await decodeImageFile(file);
        const dets = await detector.detect(img);
        detection = dets.reduce<Detection | null>((b, d) => (!b || d.score > b.score ? d : b), null);
        if (detection) embedding = (await embedder.embed(img, [detection.box]))[0] ?? null;
      } catch (err) {
        if (!(err instanceof GlovesError)) throw err;
        log.warn(`skipping ${file}: ${err.message}`, { code: err.code });
      }
      out.push({ pet: p.name, file, detection, embedding });
    }
  }
  return out;
}

/**
 * Enrolment and re-embedding as library functions (used by `gloves enroll`, `gloves visitors name`
 * and the HTTP API's photo uploads: one code path, the same checks).
 *
 * enrolPhotos: each photo must hold exactly one detectable cat or dog; any other
 * photo is rejected with a reason and a stable code, and the rest are stored.
 * Nothing is written unless at least one photo is accepted. The same image given
 * twice (same file, a copy, or the same pixels in another container) is stored
 * once: the repeats are skipped with a note (DUPLICATE_PHOTO), not rejected.
 */
import { createHash } from 'node:crypto';
import { GlovesError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { decodeImage, decodeImageFile, encodeJpeg } from '../../vision/decode.js';
import type { RgbImage } from '../../vision/image.js';
import { readFile } from 'node:fs/promises';
import { cropRegion, extractRegion } from '../embedding/crop.js';
import type { RegionEmbedder } from '../embedding/embedder.js';
import type { Gallery, GalleryPet, NewPhoto } from './gallery.js';
import type { Detector } from '../types.js';

/** A photo to enrol: a file path, or bytes already in memory (an upload) with a name for messages. */
export type EnrolImage = string | { source: string; bytes: Uint8Array };

export interface EnrolOutcome {
  image: string;
  accepted: boolean;
  /** Stable code when rejected: IMAGE_NOT_FOUND, IMAGE_DECODE_FAILED, NO_ANIMAL, MULTIPLE_ANIMALS; or DUPLICATE_PHOTO when skipped. */
  code?: string;
  /** A repeat of an earlier image of this enrolment: not stored, and not a rejection. */
  skipped?: boolean;
  reason?: string;
}

export async function enrolPhotos(
  deps: { detector: Detector; embedder: RegionEmbedder; gallery: Gallery; cropMargin: number; log: Logger },
  name: string,
  images: readonly EnrolImage[],
): Promise<{ pet: GalleryPet | null; outcomes: EnrolOutcome[] }> {
  const outcomes: EnrolOutcome[] = [];
  const photos: NewPhoto[] = [];
  const seen = new Map<string, string>();
  for (const input of images) {
    const image = typeof input === 'string' ? input : input.source;
    try {
      const img = typeof input === 'string' ? await decodeImageFile(input) : await decodeImage(input.bytes, input.source);
      const key = pixelHash(img);
      const first = seen.get(key);
      if (first !== undefined) {
        const reason = `the same image as ${first}; stored once`;
        outcomes.push({ image, accepted: false, skipped: true, code: 'DUPLICATE_PHOTO', reason });
        continue;
      }
      seen.set(key, image);
      const dets = await deps.detector.detect(img);
      if (dets.length !== 1) {
        const code = dets.length === 0 ? 'NO_ANIMAL' : 'MULTIPLE_ANIMALS';
        const reason =
          dets.length === 0
            ? 'no cat or dog detected'
            : `${dets.length} animals detected (${dets.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ')}); a photo must show exactly one`;
        outcomes.push({ image, accepted: false, code, reason });
        continue;
      }
      const d = dets[0]!;
      const region = cropRegion(d.box, deps.cropMargin, img.width, img.height);
      const [embedding] = await deps.embedder.embedRegions(img, [region]);
      photos.push({
        jpeg: await encodeJpeg(extractRegion(img, region)),
        embedding: embedding!,
        source: image,
        label: d.label,
        score: d.score,
        box: d.box,
      });
      outcomes.push({ image, accepted: true });
    } catch (err) {
      if (!(err instanceof GlovesError) || !err.code.startsWith('IMAGE_')) throw err;
      outcomes.push({ image, accepted: false, code: err.code, reason: err.message });
    }
  }
  if (photos.length === 0) return { pet: null, outcomes };
  const pet = await deps.gallery.addPhotos(name, photos);
  deps.log.info(`enrolled ${photos.length} photo(s) of ${pet.name}`, { pet: pet.id, photos: pet.photos.length });
  return { pet, outcomes };
}

/** Identity of an image by its decoded pixels, so a PNG copy of a JPEG's pixels or a renamed file is caught too. */
export function pixelHash(img: RgbImage): string {
  return createHash('sha256').update(`${img.width}x${img.height}:`).update(img.data).digest('hex');
}

/** Re-embed every stored crop with `embedder` and record its model id (no re-enrolment needed). */
export async function reembedGallery(gallery: Gallery, embedder: RegionEmbedder, log: Logger): Promise<number> {
  const out = new Map<string, Float32Array>();
  for (const pet of gallery.pets()) {
    for (const ph of pet.photos) {
      let bytes: Buffer;
      try {
        bytes = await readFile(gallery.cropPath(ph));
      } catch (err) {
        throw new GlovesError(
          'GALLERY_CORRUPT',
          `crop ${ph.crop} of ${pet.name} is missing: cannot re-embed`,
          { crop: ph.crop },
          { cause: err },
        );
      }
      const img = await decodeImage(bytes, ph.crop);
      const [e] = await embedder.embedRegions(img, [{ x: 0, y: 0, width: img.width, height: img.height }]);
      out.set(ph.id, e!);
    }
  }
  await gallery.replaceEmbeddings(embedder.modelId, out);
  log.info(`re-embedded ${out.size} photo(s) with ${embedder.modelId}`);
  return out.size;
}

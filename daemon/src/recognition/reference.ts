/**
 * A bundle's reference frame: what its models must output on it. The trainer records the outputs when it
 * builds the bundle (computeReference); a device runs its freshly loaded candidate models on the same frame and
 * compares (checkReference) before it swaps them in. One place for both, so they cannot drift apart.
 *
 * Detections are compared symmetrically and away from the score threshold: an expected detection must be found
 * only when it clears the device's threshold with margin, and a found one must be expected only when it clears
 * the trainer's, so a different `detection.minScore` on the device does not fail an honest model.
 */
import { iou } from '../kernels/nms.js';
import { cosine } from './matching/linalg.js';
import type { Detection, Detector } from './types.js';
import type { RegionEmbedder } from './embedding/embedder.js';
import type { RgbImage } from '../vision/image.js';

export interface ReferenceTolerance {
  score: number;
  iou: number;
  cosine: number;
}

export interface ReferenceOutputs {
  detector?: { detections: Detection[] };
  embedder?: { region: [number, number, number, number]; embedding: number[] };
}

/** The defaults `gloves-trainer bundle` writes: loose enough for another runtime or precision, tight enough for a broken model. */
export const DEFAULT_TOLERANCE: ReferenceTolerance = { score: 0.1, iou: 0.85, cosine: 0.95 };

/** Outputs of the given models on `image`; the embedder embeds the whole frame (no detector needed). */
export async function computeReference(
  models: { detector?: Detector; embedder?: RegionEmbedder },
  image: RgbImage,
): Promise<ReferenceOutputs> {
  const out: ReferenceOutputs = {};
  if (models.detector) out.detector = { detections: await models.detector.detect(image) };
  if (models.embedder) {
    const region = { x: 0, y: 0, width: image.width, height: image.height };
    const [e] = await models.embedder.embedRegions(image, [region]);
    out.embedder = { region: [0, 0, image.width, image.height], embedding: Array.from(e!) };
  }
  return out;
}

function finite(values: Iterable<number>): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

function matched(d: Detection, pool: readonly Detection[], tol: ReferenceTolerance): boolean {
  return pool.some((p) => p.label === d.label && Math.abs(p.score - d.score) <= tol.score && iou(p.box, d.box) >= tol.iou);
}

/**
 * Pure: the problems of `actual` against `expected` (empty: it agrees). `thresholds` are the detection score
 * thresholds the reference was recorded with and the device uses.
 */
export function checkReference(
  expected: ReferenceOutputs,
  actual: ReferenceOutputs,
  tol: ReferenceTolerance,
  thresholds: { reference: number; device: number },
): string[] {
  const problems: string[] = [];
  if (expected.detector) {
    const got = actual.detector?.detections ?? [];
    const bad = got.filter((d) => !finite([d.score, ...d.box]));
    if (bad.length > 0) problems.push(`detector: ${bad.length} detection(s) with non-finite score or box`);
    for (const d of expected.detector.detections)
      if (d.score >= thresholds.device + tol.score && !matched(d, got, tol))
        problems.push(
          `detector: expected ${d.label} ${d.score.toFixed(2)} at [${d.box.map((v) => Math.round(v)).join(', ')}] is not found`,
        );
    for (const d of got)
      if (d.score >= thresholds.reference + tol.score && !matched(d, expected.detector.detections, tol))
        problems.push(`detector: unexpected ${d.label} ${d.score.toFixed(2)} at [${d.box.map((v) => Math.round(v)).join(', ')}]`);
  }
  if (expected.embedder) {
    const got = actual.embedder?.embedding;
    const want = expected.embedder.embedding;
    if (!got) problems.push('embedder: no embedding');
    else if (got.length !== want.length) problems.push(`embedder: embedding has ${got.length} values, expected ${want.length}`);
    else if (!finite(got)) problems.push('embedder: embedding has non-finite values');
    else {
      const c = cosine(got, want);
      if (!(c >= tol.cosine)) problems.push(`embedder: cosine to the reference embedding ${c.toFixed(4)} < ${tol.cosine}`);
    }
  }
  return problems;
}

/**
 * Detector gate: a candidate (e.g. INT8 QDQ) against its reference on labelled
 * photos. Dataset layout: DIR/cats/** are photos with a cat, DIR/negatives/**
 * photos without one; any other image is used for box agreement only.
 * - agreement: reference detections (>= minScore) matched greedily to candidate
 *   detections of the same label at IoU >= 0.5; matchRate = matched / reference;
 *   score delta over matched pairs;
 * - cat recall: fraction of cat photos with a cat box >= minScore (and >= 0.5);
 *   false positives: negatives with any cat box.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { iou } from '../../../daemon/src/recognition/index.js';
import type { Detection, Detector } from '../../../daemon/src/recognition/index.js';
import { decodeImageFile } from '../../../daemon/src/vision/decode.js';
import { TrainerError } from '../errors.js';

const IMAGE_RE = /\.(jpe?g|png|webp)$/i;

export interface LabelledImage {
  file: string;
  label: 'cat' | 'none' | null;
}

export function listLabelled(dir: string): LabelledImage[] {
  let files: string[];
  try {
    files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => IMAGE_RE.test(f) && statSync(join(dir, f)).isFile()).sort();
  } catch (err) {
    throw new TrainerError('DATASET_EMPTY', `cannot read dataset ${dir}`, { dir }, { cause: err });
  }
  if (files.length === 0) throw new TrainerError('DATASET_EMPTY', `dataset ${dir} holds no images`, { dir });
  return files.map((f) => {
    const top = f.split(sep)[0];
    return { file: join(dir, f), label: top === 'cats' ? 'cat' : top === 'negatives' ? 'none' : null };
  });
}

export interface MatchStats {
  reference: number;
  candidate: number;
  matched: number;
  scoreDeltaSum: number;
  scoreAbsDeltaSum: number;
}

/** Greedy one-to-one matching, reference boxes in score order (pure). */
export function matchDetections(
  ref: readonly Detection[],
  cand: readonly Detection[],
  iouThreshold = 0.5,
): { matched: number; deltas: number[] } {
  const used = new Set<number>();
  const deltas: number[] = [];
  for (const r of [...ref].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = iouThreshold;
    cand.forEach((c, j) => {
      if (used.has(j) || c.label !== r.label) return;
      const v = iou(r.box, c.box);
      if (v >= bestIou) {
        bestIou = v;
        best = j;
      }
    });
    if (best >= 0) {
      used.add(best);
      deltas.push(cand[best]!.score - r.score);
    }
  }
  return { matched: deltas.length, deltas };
}

export interface DetectorEvaluation {
  images: number;
  agreement: {
    matchRate: number;
    reference: number;
    candidate: number;
    matched: number;
    meanScoreDelta: number;
    meanAbsScoreDelta: number;
  };
  recall: { cats: number; reference: number; candidate: number; referenceAt05: number; candidateAt05: number; drop: number };
  negatives: { images: number; referenceFalseCats: number; candidateFalseCats: number };
}

export async function evaluateDetectors(
  ref: Detector,
  cand: Detector,
  images: readonly LabelledImage[],
  progress?: (done: number, total: number) => void,
): Promise<DetectorEvaluation> {
  let reference = 0,
    candidate = 0,
    matched = 0,
    dSum = 0,
    aSum = 0;
  let cats = 0,
    refHit = 0,
    candHit = 0,
    refHit5 = 0,
    candHit5 = 0,
    negs = 0,
    refFp = 0,
    candFp = 0;
  const bestCat = (d: readonly Detection[]): number => d.filter((x) => x.label === 'cat').reduce((m, x) => Math.max(m, x.score), 0);
  for (const [k, im] of images.entries()) {
    const img = await decodeImageFile(im.file);
    const r = await ref.detect(img);
    const c = await cand.detect(img);
    const m = matchDetections(r, c);
    reference += r.length;
    candidate += c.length;
    matched += m.matched;
    for (const d of m.deltas) {
      dSum += d;
      aSum += Math.abs(d);
    }
    const rb = bestCat(r);
    const cb = bestCat(c);
    if (im.label === 'cat') {
      cats++;
      if (rb > 0) refHit++;
      if (cb > 0) candHit++;
      if (rb >= 0.5) refHit5++;
      if (cb >= 0.5) candHit5++;
    } else if (im.label === 'none') {
      negs++;
      if (rb > 0) refFp++;
      if (cb > 0) candFp++;
    }
    progress?.(k + 1, images.length);
  }
  const frac = (a: number, b: number): number => (b > 0 ? a / b : 1);
  return {
    images: images.length,
    agreement: {
      matchRate: frac(matched, reference),
      reference,
      candidate,
      matched,
      meanScoreDelta: matched ? dSum / matched : 0,
      meanAbsScoreDelta: matched ? aSum / matched : 0,
    },
    recall: {
      cats,
      reference: frac(refHit, cats),
      candidate: frac(candHit, cats),
      referenceAt05: frac(refHit5, cats),
      candidateAt05: frac(candHit5, cats),
      drop: frac(refHit, cats) - frac(candHit, cats),
    },
    negatives: { images: negs, referenceFalseCats: refFp, candidateFalseCats: candFp },
  };
}

/**
 * Fitting population statistics and calibrating the unknown threshold (pure).
 *
 * The threshold is calibrated OUT OF SAMPLE: cats are split into folds; for each
 * fold the population mean is taken from the other folds only, and the fold's
 * queries are scored with the eval protocol. The pooled out-of-fold impostor
 * scores (best score of a left-out cat against the enrolled others) give the
 * threshold at the target false-accept rate. `nestedEstimate` reports what that
 * procedure achieves on folds whose threshold was chosen on the other folds.
 */
import type { EmbeddedPhoto } from './dataset.js';
import { evaluateEmbedded, summarize, type QueryOutcome } from './evaluate.js';
import type { DecisionRule } from './matcher.js';
import type { PopulationStats } from './stats.js';

export function populationMean(items: readonly EmbeddedPhoto[]): Float32Array {
  const vs = items.flatMap((i) => (i.embedding ? [i.embedding] : []));
  if (vs.length === 0) throw new RangeError('populationMean: no embeddings');
  const m = new Float32Array(vs[0]!.length);
  for (const v of vs) for (let i = 0; i < m.length; i++) m[i] = m[i]! + v[i]! / vs.length;
  return m;
}

function centreOnly(embedderModelId: string, mean: Float32Array): PopulationStats {
  return { embedderModelId, dim: mean.length, mean, calibration: { threshold: -1, margin: 0, slope: 1, offset: 0, method: 'fitting' } };
}

/** Out-of-fold outcomes with an accept-everything rule (scores are what matter). */
export function outOfFold(items: readonly EmbeddedPhoto[], shots: number, folds: number, rule: DecisionRule, embedderModelId: string): QueryOutcome[][] {
  const pets = [...new Set(items.map((i) => i.pet))].sort();
  const open = { ...rule, threshold: -Infinity, margin: 0 };
  return Array.from({ length: folds }, (_, f) => {
    const inFold = new Set(pets.filter((_, i) => i % folds === f));
    const st = centreOnly(embedderModelId, populationMean(items.filter((i) => !inFold.has(i.pet))));
    return evaluateEmbedded(items, shots, open, st).filter((o) => inFold.has(o.pet));
  });
}

/** The smallest threshold whose false-accept rate on these outcomes is <= target. */
export function thresholdFor(outcomes: readonly QueryOutcome[], targetFalseAccept: number): number {
  const imp = outcomes.flatMap((o) => (o.openScores ? [o.openScores[0]] : [])).sort((a, b) => b - a);
  const allowed = Math.floor(targetFalseAccept * outcomes.length);
  if (allowed >= imp.length) return -1;
  return imp[allowed]! + 1e-6;
}

function rates(outcomes: readonly QueryOutcome[], t: number): { top1: number; fa: number } {
  const n = outcomes.length || 1;
  return {
    top1: outcomes.filter((o) => o.closedScores && o.closedScores[0] >= t && o.closed === o.pet).length / n,
    fa: outcomes.filter((o) => o.openScores && o.openScores[0] >= t).length / n,
  };
}

export function nestedEstimate(oof: readonly QueryOutcome[][], target: number): { top1: number; false_accept: number; thresholds: number[] } {
  let top1 = 0;
  let fa = 0;
  let n = 0;
  const thresholds: number[] = [];
  oof.forEach((fold, f) => {
    const t = thresholdFor(oof.filter((_, g) => g !== f).flat(), target);
    thresholds.push(t);
    const r = rates(fold, t);
    top1 += r.top1 * fold.length;
    fa += r.fa * fold.length;
    n += fold.length;
  });
  return { top1: top1 / n, false_accept: fa / n, thresholds };
}

/** Logistic P(named correctly | score - threshold), fitted by gradient descent on out-of-fold closed-set outcomes. */
export function fitConfidence(outcomes: readonly QueryOutcome[], threshold: number): { slope: number; offset: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const o of outcomes) {
    if (!o.closedScores) continue;
    xs.push(o.closedScores[0] - threshold);
    ys.push(o.closed === o.pet ? 1 : 0);
  }
  let a = 10;
  let b = 0;
  for (let it = 0; it < 5000; it++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * xs[i]! + b)));
      ga += (p - ys[i]!) * xs[i]!;
      gb += p - ys[i]!;
    }
    a -= (0.5 * ga) / xs.length;
    b -= (0.05 * gb) / xs.length;
  }
  return { slope: a, offset: b };
}

export { summarize };

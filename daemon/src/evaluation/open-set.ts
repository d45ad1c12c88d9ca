/**
 * Open-set calibration for a household of a given size (pure).
 *
 * A stranger is falsely accepted when its best score against the ENROLLED pets clears
 * the threshold, so the false-accept rate grows with the number of pets enrolled. The
 * inner folds that calibrate the threshold enrol however many cats the fold holds (4
 * with 10 training cats, 6-7 with the 15 shared ones), so an empirical quantile of
 * "best of the fold's others" calibrates for that accidental gallery size: the shipped
 * threshold came out higher (stricter) the more cats the statistics were fitted on.
 *
 * Here every impostor score of a query is kept, and the probability that the best of
 * `m` enrolled pets drawn at random from its others clears t is exact (hypergeometric):
 * with j others of which a clear t, 1 - C(j - a, m) / C(j, m). The threshold is chosen
 * for a reference household (REFERENCE_ENROLLED pets), and the prediction is recorded
 * for every household size, so an evaluation can compare like with like. When a fold
 * has fewer others than m, all of them are used (the estimate is then optimistic).
 */
import type { QueryOutcome, ScoredQuery } from './outcomes.js';

/** The household the shipped threshold is calibrated for: a stranger facing 4 enrolled pets. */
export const REFERENCE_ENROLLED = 4;
/** Household sizes (enrolled pets) the statistics record a predicted false accept for: 1..MAX. */
export const MAX_ENROLLED = 8;

/** Per query (null: no detection), its scores against every enrolled pet but its own, best first. */
export function impostorScores(queries: readonly ScoredQuery[]): (number[] | null)[] {
  return queries.map((q) => (q.scores ? q.scores.filter((s) => s.petId !== q.pet).map((s) => s.score) : null));
}

/** P(best of m random others >= t) for one query's impostor scores. */
function acceptProbability(imp: readonly number[], t: number, m: number): number {
  const j = imp.length;
  const k = Math.min(m, j);
  if (k <= 0) return 0;
  const a = imp.filter((s) => s >= t).length;
  let none = 1;
  for (let i = 0; i < k; i++) none *= Math.max(0, j - a - i) / (j - i);
  return 1 - none;
}

/** Expected false-accept rate at threshold t with m enrolled pets (undetected queries count as rejected). */
export function falseAcceptAt(imps: readonly (number[] | null)[], t: number, m: number): number {
  if (imps.length === 0) return 0;
  let s = 0;
  for (const imp of imps) if (imp) s += acceptProbability(imp, t, m);
  return s / imps.length;
}

/** The lowest threshold (just above an impostor score) whose false accept with m enrolled pets is <= target. */
export function thresholdForEnrolled(imps: readonly (number[] | null)[], target: number, m: number): number {
  const cands = [...new Set(imps.flatMap((i) => i ?? []))].sort((x, y) => x - y);
  if (cands.length === 0) return -1;
  if (falseAcceptAt(imps, cands[0]! - 1e-6, m) <= target) return cands[0]! - 1e-6;
  // falseAcceptAt falls as t rises; above the highest score it is 0: binary search the first candidate that meets the target.
  let lo = 0;
  let hi = cands.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (falseAcceptAt(imps, cands[mid]! + 1e-6, m) <= target) hi = mid;
    else lo = mid + 1;
  }
  return cands[lo]! + 1e-6;
}

/**
 * What threshold t is expected to give on cats never seen, from the out-of-fold scores it
 * was chosen on: top1 at t (all the fold's cats enrolled), and for each household of
 * 1..MAX_ENROLLED pets (as many as the folds had others) the distribution-free (conformal) false-accept estimate
 * (A + 1) / (n + 1), A the expected accepts among the n left-out queries. A threshold
 * set just above the (k+1)-th highest of n exchangeable impostor scores is cleared by a
 * new one with probability (k+1)/(n+1), so the estimate accounts for choosing t on these
 * very scores. It replaced a nested estimate (threshold chosen on one inner fold, applied
 * to the other: a procedure on half the cats, with statistics fitted on a quarter) that
 * predicted 0.072 and 0.135 where the held-out folds of the 15 shared cats gave 0.015 and 0.029.
 */
export function outOfFoldEstimate(
  oof: readonly QueryOutcome[],
  imps: readonly (number[] | null)[],
  t: number,
): { top1: number; false_accept: number; byEnrolled: number[] } {
  const n = oof.length;
  const top1 = oof.filter((o) => o.closedScores && o.closedScores[0] >= t && o.closed === o.pet).length / (n || 1);
  // Only household sizes the folds could show (a query with j others says nothing about j + 1 pets).
  const sizes = Math.max(1, Math.min(MAX_ENROLLED, Math.max(0, ...imps.map((i) => i?.length ?? 0))));
  const byEnrolled = Array.from({ length: sizes }, (_, i) => (falseAcceptAt(imps, t, i + 1) * imps.length + 1) / (imps.length + 1));
  return { top1, false_accept: byEnrolled[Math.min(REFERENCE_ENROLLED, sizes) - 1]!, byEnrolled };
}

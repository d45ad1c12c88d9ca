/**
 * The operating curve of open-set identification over pooled outcomes (pure).
 *
 * For a threshold t on the best score: top1(t) = queries named correctly with the
 * cat enrolled (best score >= t), false_accept(t) = queries of a left-out cat whose
 * best score against the others is >= t. The curve gives the best top1 any single
 * threshold reaches at false_accept <= 0.01 / 0.05 / 0.10, and the equal-error rate
 * (false_accept = 1 - top1). Thresholds are swept on the evaluated outcomes
 * themselves, so the curve describes the scores, not a deployable threshold: the
 * honest deployable number is the operating point fitted without those cats.
 */
import type { QueryOutcome } from './outcomes.js';

export const CURVE_POINTS = [0.01, 0.05, 0.1] as const;

export interface CurvePoint {
  max_false_accept: number;
  top1: number;
  false_accept: number;
  threshold: number;
}

export interface Curve {
  curve: CurvePoint[];
  eer: number;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function operatingCurve(outcomes: readonly QueryOutcome[], points: readonly number[] = CURVE_POINTS): Curve {
  const n = outcomes.length || 1;
  // Candidate thresholds: every score that matters, plus +inf (accept nothing).
  const imp = outcomes.flatMap((o) => (o.openScores ? [o.openScores[0]] : [])).sort((a, b) => b - a);
  // Correct whatever the threshold: the best-scoring pet is the query's own.
  const gen = outcomes.flatMap((o) => (o.closedScores && (o.closedBest ?? o.closed) === o.pet ? [o.closedScores[0]] : []));
  const ts = [Infinity, ...new Set([...imp, ...gen])].sort((a, b) => b - a);
  const at = (t: number): { top1: number; fa: number } => {
    let fa = 0;
    for (const s of imp)
      if (s >= t) fa++;
      else break;
    let top1 = 0;
    for (const s of gen) if (s >= t) top1++;
    return { top1: top1 / n, fa: fa / n };
  };
  const table = ts.map((t) => ({ t, ...at(t) }));
  const curve = points.map((p) => {
    let best = { t: Infinity, top1: 0, fa: 0 };
    for (const row of table) if (row.fa <= p + 1e-12 && row.top1 >= best.top1) best = row;
    return { max_false_accept: p, top1: r3(best.top1), false_accept: r3(best.fa), threshold: Math.round(best.t * 10000) / 10000 };
  });
  let eer = 1;
  let gap = Infinity;
  for (const row of table) {
    const miss = 1 - row.top1;
    const d = Math.abs(miss - row.fa);
    if (d < gap) {
      gap = d;
      eer = (miss + row.fa) / 2;
    }
  }
  return { curve, eer: r3(eer) };
}

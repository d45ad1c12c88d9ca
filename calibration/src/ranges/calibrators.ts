/**
 * Threshold (amax) choice from collected statistics. Pure functions.
 * - minmax: the largest |x| seen.
 * - percentile: the upper edge of the bin where the cumulative |x| count reaches p%.
 * - mse: the amax minimising the expected squared quantization error (rounding + clipping).
 * - entropy: TensorRT's public KL-divergence method: for every cutoff i in
 *   [levels, bins], the reference P is the first i bins with the clipped tail
 *   added to bin i-1; the candidate Q folds those i bins into `levels` levels
 *   and spreads each level back over its non-empty bins; keep the i with the
 *   smallest KL(P||Q); amax = upper edge of bin i.
 */
import type { Histogram, MinMax } from './histogram.js';

export type CalibrationMethod = 'entropy' | 'percentile' | 'minmax';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['entropy', 'percentile', 'minmax'];

export function minmaxAmax(r: MinMax): number {
  return Math.max(Math.abs(r.min), Math.abs(r.max));
}

export function percentileAmax(h: Histogram, percentile = 99.99): number {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0 || h.absMax === 0) return 0;
  const target = (percentile / 100) * total;
  const width = h.absMax / h.counts.length;
  let cum = 0;
  for (let i = 0; i < h.counts.length; i++) {
    cum += h.counts[i]!;
    if (cum >= target) return (i + 1) * width;
  }
  return h.absMax;
}

export function entropyAmax(h: Histogram, levels = 128): number {
  const bins = h.counts.length;
  const c = h.counts;
  const total = c.reduce((a, b) => a + b, 0);
  if (total === 0 || h.absMax === 0) return 0;
  if (bins <= levels) return h.absMax;
  const width = h.absMax / bins;
  // Suffix sums give the clipped tail for every cutoff in O(1).
  const tail = new Float64Array(bins + 1);
  for (let i = bins - 1; i >= 0; i--) tail[i] = tail[i + 1]! + c[i]!;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  let bestI = bins;
  let bestKl = Infinity;
  for (let i = levels; i <= bins; i++) {
    for (let k = 0; k < i; k++) p[k] = c[k]!;
    p[i - 1]! += tail[i]!;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor((j * i) / levels);
      const end = Math.floor(((j + 1) * i) / levels);
      let sum = 0;
      let nonZero = 0;
      for (let k = start; k < end; k++) {
        sum += c[k]!;
        if (c[k]! > 0) nonZero++;
      }
      const share = nonZero > 0 ? sum / nonZero : 0;
      for (let k = start; k < end; k++) q[k] = c[k]! > 0 ? share : 0;
    }
    const kl = klDivergence(p, q, i);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return bestI * width;
}

/** KL(P||Q) over the first n entries, each normalised; Q=0 where P>0 costs a large constant (smoothing). */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  let ps = 0;
  let qs = 0;
  for (let k = 0; k < n; k++) {
    ps += p[k]!;
    qs += q[k]!;
  }
  if (ps === 0) return 0;
  if (qs === 0) return Infinity;
  let kl = 0;
  for (let k = 0; k < n; k++) {
    const pk = p[k]! / ps;
    if (pk === 0) continue;
    const qk = q[k]! / qs;
    kl += qk > 0 ? pk * Math.log(pk / qk) : pk * Math.log(pk / 1e-12);
  }
  return kl;
}

/**
 * MSE: the amax (an upper bin edge, searched on every 8th bin from `levels`) minimising
 * the expected squared error of symmetric quantization with `levels` positive steps:
 * rounding noise step^2/12 below amax, (|x| - amax)^2 for the clipped tail
 * (bin centres stand in for the values).
 */
export function mseAmax(h: Histogram, levels = 127): number {
  const bins = h.counts.length;
  const c = h.counts;
  const total = c.reduce((a, b) => a + b, 0);
  if (total === 0 || h.absMax === 0) return 0;
  const width = h.absMax / bins;
  let best = bins;
  let bestErr = Infinity;
  for (let i = Math.min(levels, bins); i <= bins; i += i < bins && i + 8 > bins ? bins - i : 8) {
    const amax = i * width;
    const step = amax / levels;
    let below = 0;
    let clipped = 0;
    for (let k = 0; k < bins; k++) {
      if (k < i) below += c[k]!;
      else clipped += c[k]! * ((k + 0.5) * width - amax) ** 2;
    }
    const err = (below * (step * step)) / 12 + clipped;
    if (err < bestErr) {
      bestErr = err;
      best = i;
    }
    if (i === bins) break;
  }
  return best * width;
}

export interface TensorStats {
  minmax: MinMax;
  hist: Histogram;
}

/** amax of one tensor by `method` (percentile defaults to 99.99). */
export function chooseAmax(stats: TensorStats, method: CalibrationMethod, percentile = 99.99): number {
  switch (method) {
    case 'minmax':
      return minmaxAmax(stats.minmax);
    case 'percentile':
      return Math.min(percentileAmax(stats.hist, percentile), minmaxAmax(stats.minmax));
    case 'entropy':
      return Math.min(entropyAmax(stats.hist), minmaxAmax(stats.minmax));
  }
}

/** Range methods the QDQ search may pick per tensor: the calibration methods plus MSE. */
export type RangeMethod = CalibrationMethod | 'mse';
export const RANGE_METHODS: readonly RangeMethod[] = ['entropy', 'percentile', 'mse', 'minmax'];

export function rangeAmax(stats: TensorStats, method: RangeMethod, percentile = 99.99): number {
  return method === 'mse' ? Math.min(mseAmax(stats.hist), minmaxAmax(stats.minmax)) : chooseAmax(stats, method, percentile);
}

/**
 * A fixed-range histogram of |x| over [0, absMax] in `bins` equal bins (the
 * input to the entropy and percentile calibrators). Values above absMax land
 * in the last bin, so a histogram built with a too-small range still counts
 * every value.
 */
export interface Histogram {
  counts: Float64Array;
  /** Upper edge of the last bin. */
  absMax: number;
}

export function emptyHistogram(absMax: number, bins = 2048): Histogram {
  return { counts: new Float64Array(bins), absMax };
}

/** Add |v| of every value to `h` (in place). */
export function accumulate(h: Histogram, values: ArrayLike<number>): void {
  const bins = h.counts.length;
  if (h.absMax <= 0) {
    h.counts[0]! += values.length;
    return;
  }
  const k = bins / h.absMax;
  const last = bins - 1;
  const c = h.counts;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let b = Math.floor((v < 0 ? -v : v) * k);
    if (b > last) b = last;
    else if (!(b >= 0)) continue; // NaN
    c[b]!++;
  }
}

export function histogramOf(values: ArrayLike<number>, bins = 2048): Histogram {
  const h = emptyHistogram(absMaxOf(values), bins);
  accumulate(h, values);
  return h;
}

export function absMaxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  return m;
}

/** Running min/max of a tensor across batches. */
export interface MinMax {
  min: number;
  max: number;
}

export function updateMinMax(r: MinMax, values: ArrayLike<number>): void {
  let lo = r.min;
  let hi = r.max;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  r.min = lo;
  r.max = hi;
}

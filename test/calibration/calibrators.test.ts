import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseAmax, entropyAmax, minmaxAmax, mseAmax, percentileAmax, rangeAmax } from '../../calibration/src/ranges/calibrators.js';
import { accumulate, emptyHistogram, histogramOf, updateMinMax } from '../../calibration/src/ranges/histogram.js';
import { gaussian, uniform } from './synthetic.js';

function stats(x: Float32Array) {
  const minmax = { min: Infinity, max: -Infinity };
  updateMinMax(minmax, x);
  return { minmax, hist: histogramOf(x) };
}

test('uniform: minmax amax is the max |x|; percentile and entropy stay near it', () => {
  const x = uniform(200_000, 1, -3, 5);
  const s = stats(x);
  const max = Array.from(x, Math.abs).reduce((a, b) => Math.max(a, b), 0);
  assert.is(minmaxAmax(s.minmax), max);
  assert.ok(Math.abs(percentileAmax(s.hist, 99.99) - max) / max < 0.01, `percentile ${percentileAmax(s.hist)}`);
  const e = entropyAmax(s.hist);
  assert.ok(e > 0.9 * max && e <= max * 1.0001, `entropy ${e} vs max ${max}`);
});

test('Gaussian with a few huge outliers: entropy and percentile clip far below the outliers', () => {
  const x = gaussian(500_000, 2);
  for (let i = 0; i < 5; i++) x[i * 1000] = i % 2 ? -1000 : 1000;
  const s = stats(x);
  assert.is(chooseAmax(s, 'minmax'), 1000);
  const p = chooseAmax(s, 'percentile', 99.99);
  // |N(0,1)| 99.99th percentile is 3.89; one bin is 1000/2048 = 0.49 wide.
  assert.ok(p > 3.4 && p < 4.9, `percentile ${p}`);
  // The smallest cutoff the method tries is 128 of 2048 bins: 1000/16.
  assert.is(chooseAmax(s, 'entropy'), 1000 / 16);
});

test('Gaussian with moderate outliers: entropy keeps the body and clips the outliers', () => {
  const x = gaussian(500_000, 3);
  for (let i = 0; i < 5; i++) x[i * 1000] = i % 2 ? -40 : 40;
  const s = stats(x);
  assert.is(chooseAmax(s, 'minmax'), 40);
  const e = chooseAmax(s, 'entropy');
  assert.ok(e > 2.5 && e < 10, `entropy ${e}`);
  const p = chooseAmax(s, 'percentile', 99.9);
  assert.ok(p > 3 && p < 3.5, `percentile 99.9 ${p}`);
});

test('entropy on a known histogram: a spike at the far edge with nothing in between is kept', () => {
  // All mass in bin 0..99 and a huge block at the last bins: clipping it would lose most of the mass.
  const h = emptyHistogram(2048);
  for (let i = 0; i < 100; i++) h.counts[i] = 10;
  for (let i = 2040; i < 2048; i++) h.counts[i] = 1e6;
  assert.ok(entropyAmax(h) > 2000, `entropy ${entropyAmax(h)}`);
});

test('percentile: amax is the upper edge of the bin reaching the percentile', () => {
  const h = emptyHistogram(10, 10);
  accumulate(h, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
  assert.is(percentileAmax(h, 50), 5);
  assert.is(percentileAmax(h, 100), 10);
  assert.is(percentileAmax(h, 1), 1);
});

test('degenerate: an all-zero tensor has amax 0 for every method', () => {
  const s = stats(new Float32Array(100));
  for (const m of ['entropy', 'percentile', 'minmax'] as const) assert.is(chooseAmax(s, m), 0);
});

test('mse: near the max for uniform data; the clipping/rounding balance with outliers', () => {
  const u = stats(uniform(200_000, 4, -3, 5));
  const m = mseAmax(u.hist);
  assert.ok(m > 0.97 * 5 && m <= 5.01, `uniform mse ${m}`);
  const g = gaussian(500_000, 5);
  for (let i = 0; i < 5; i++) g[i * 1000] = 50;
  // 5 (50 - a)^2 clipped + 500000 (a / 127)^2 / 12 rounding is smallest at a = 500 / (10 + 10^6 / (127^2 * 12)), about 33.
  const a = rangeAmax(stats(g), 'mse');
  assert.ok(a > 29 && a < 37, `gaussian+outliers mse ${a}`);
  assert.is(mseAmax(emptyHistogram(0)), 0);
});

test.run();

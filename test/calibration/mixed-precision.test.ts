import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneModel, encodeModel } from '../../calibration/src/onnx/proto.js';
import { quantizeQdq, quantizeWeight, type ActivationRange } from '../../calibration/src/qdq/quantize.js';
import { convMeanShift, correctConvBiases } from '../../calibration/src/qdq/bias-correction.js';
import { collectRanges } from '../../calibration/src/ranges/collect.js';
import { collectChannelMeans } from '../../calibration/src/ranges/channel-means.js';
import { rangeAmax } from '../../calibration/src/ranges/calibrators.js';
import { chooseFloatCount, searchMixedPrecision, type RangeCandidate } from '../../calibration/src/quantize/sensitivity.js';
import { relativeL2, yoloxScoreError } from '../../calibration/src/quantize/output-error.js';
import { probeSamples } from '../../calibration/src/quantize/run.js';
import { createSession, runFloat } from '../../calibration/src/ort.js';
import { biasModel, outlierChannelModel } from './synthetic.js';
import { rng } from '../helpers/rng.js';

const table = (errors: Record<number, number>) => {
  const asked: number[] = [];
  return { asked, fn: async (n: number) => (asked.push(n), errors[n]!) };
};

test('float-keeping policy: stops at the first count within the target', async () => {
  const t = table({ 1: 0.5, 2: 0.05, 4: 0.01 });
  const d = await chooseFloatCount(t.fn, 1.0, 10, 0.1);
  assert.equal([d.n, d.error], [2, 0.05]);
  assert.equal(t.asked, [1, 2]);
});

test('float-keeping policy: keeps the previous count when doubling gains less than 10%', async () => {
  const t = table({ 1: 0.3, 2: 0.2, 4: 0.19, 8: 0.01 });
  const d = await chooseFloatCount(t.fn, 0.8, 10, 0.1);
  assert.equal([d.n, d.error], [2, 0.2]);
  assert.equal(
    d.steps.map((s) => s.float),
    [0, 1, 2, 4],
  );
});

test('float-keeping policy: nothing kept when already within target; never above the limit', async () => {
  const none = table({});
  assert.is((await chooseFloatCount(none.fn, 0.05, 10, 0.1)).n, 0);
  assert.equal(none.asked, []);
  const capped = table({ 1: 0.5, 2: 0.25, 3: 0.12 });
  const d = await chooseFloatCount(capped.fn, 1, 3, 0.1);
  assert.equal([d.n, capped.asked], [3, [1, 2, 3]]);
});

async function outputsOf(bytes: Uint8Array, xs: Float32Array[], dims: number[]): Promise<Float32Array[]> {
  const s = await createSession(bytes);
  try {
    const out: Float32Array[] = [];
    for (const x of xs) out.push(Object.values(await runFloat(s, { x: { dims, data: x } }))[0]!.data.slice());
    return out;
  } finally {
    await s.release();
  }
}

test('synthetic graph: the search keeps the outlier-channel activation (only it) in float and the result runs', async () => {
  const m = outlierChannelModel();
  const r = rng(5);
  const xs = Array.from({ length: 6 }, () => Float32Array.from({ length: 3 * 64 }, () => r()));
  const feeds = xs.map((x) => ({ x: { dims: [1, 3, 8, 8], data: x } }));
  const stats = await collectRanges(m, () => feeds, feeds.length);
  const candidates = new Map<string, RangeCandidate[]>(
    [...stats].map(([n, s]) => [
      n,
      (['entropy', 'percentile', 'mse'] as const).map((method) => ({ method, range: { amax: rangeAmax(s, method), minmax: s.minmax } })),
    ]),
  );
  const res = await searchMixedPrecision(m, m, candidates, feeds.slice(0, 4), {
    qdq: { layout: 'conv-in' },
    target: 0.02,
    maxExcludedFraction: 0.5,
  });
  assert.equal(
    res.perTensor.map((p) => p.name),
    ['r1', 'x'],
  );
  assert.equal(res.excluded, ['r1']);
  assert.ok(res.errorAll > 0.1, `all-int8 error ${res.errorAll}`);
  assert.ok(res.errorFinal < 0.02 && res.errorFinal < res.errorAll / 5, `final ${res.errorFinal} vs all ${res.errorAll}`);
  const keep = new Map(
    [...res.chosen].filter(([n]) => !res.excluded.includes(n)).map(([n, c]) => [n, c.range] as [string, ActivationRange]),
  );
  const q = cloneModel(m);
  assert.is(quantizeQdq(q, keep, { layout: 'conv-in' }).activations, 1);
  const ref = await outputsOf(encodeModel(m), xs.slice(4), [1, 3, 8, 8]);
  const got = await outputsOf(encodeModel(q), xs.slice(4), [1, 3, 8, 8]);
  const err = relativeL2(
    ref.map((o) => [o]),
    got.map((o) => [o]),
  );
  assert.ok(err < 0.02, `held-out relative error ${err}`);
});

test('bias correction: shift = sum dW * E[x] per output channel, grouped convs by their own inputs', () => {
  const s = convMeanShift(Float32Array.of(0.5, 0.25), Float32Array.of(0.51, 0.23), [1, 2, 1, 1], 1, [10, 1]);
  assert.ok(Math.abs(s[0]! - (0.01 * 10 - 0.02 * 1)) < 1e-6, String(s[0]));
  const dw = convMeanShift(Float32Array.of(1, 2), Float32Array.of(1.1, 1.8), [2, 1, 1, 1], 2, [3, 4]);
  assert.ok(Math.abs(dw[0]! - 0.3) < 1e-6 && Math.abs(dw[1]! + 0.8) < 1e-6, String([...dw]));
});

test('bias correction: with a large input mean it removes the output mean shift of int8 weights', async () => {
  const m = biasModel();
  const r = rng(9);
  const xs = Array.from({ length: 4 }, () => Float32Array.from({ length: 2 * 16 }, () => 50 + r()));
  const feeds = xs.map((x) => ({ x: { dims: [1, 2, 4, 4], data: x } }));
  const means = await collectChannelMeans(m, ['x'], () => feeds);
  assert.ok(Math.abs(means.get('x')![0]! - 50.5) < 0.2);
  const plain = cloneModel(m);
  quantizeQdq(plain, new Map());
  const corrected = cloneModel(m);
  assert.is(correctConvBiases(corrected, means).corrected.length, 1);
  quantizeQdq(corrected, new Map());
  const ref = await outputsOf(encodeModel(m), xs, [1, 2, 4, 4]);
  const meanErr = async (bytes: Uint8Array) => {
    const got = await outputsOf(bytes, xs, [1, 2, 4, 4]);
    let s = 0,
      n = 0;
    got.forEach((g, k) => g.forEach((v, i) => ((s += v - ref[k]![i]!), n++)));
    return Math.abs(s / n);
  };
  const before = await meanErr(encodeModel(plain));
  const after = await meanErr(encodeModel(corrected));
  // The weights really are off the int8 grid, so there is a shift to remove.
  assert.ok(quantizeWeight(Float32Array.of(0.3013, -0.2987), [1, 2], 0).q[1] !== -127 || before > 1e-3, 'fixture weights must be off-grid');
  assert.ok(before > 1e-3 && after < before / 10, `mean error before ${before}, after ${after}`);
});

test('yolox score error: 0 for identical outputs; grows with the cat score change, ignores other classes', () => {
  const stride = 5 + 3;
  const ref = new Float32Array(2 * stride);
  ref.set([0.5, 0.5, 1, 1, 0.9, 0.1, 0.8, 0.2], 0);
  ref.set([0.5, 0.5, 1, 1, 0.1, 0.1, 0.1, 0.1], stride);
  const metric = yoloxScoreError([1], stride);
  assert.is(metric([[ref]], [[ref.slice()]]), 0);
  const other = ref.slice();
  other[5] = 0.9; // class 0 is not watched
  assert.is(metric([[ref]], [[other]]), 0);
  const half = ref.slice();
  half[6] = 0.4;
  const e = metric([[ref]], [[half]]);
  assert.ok(e > 0.4 && e < 0.55, String(e));
});

test('probe samples: animal frames first, spread evenly, deterministic', () => {
  const samples = Array.from({ length: 20 }, (_, i) => ({ i, animal: i % 4 !== 0 }));
  const p = probeSamples(samples, 5);
  assert.equal(p, probeSamples(samples, 5));
  assert.is(p.length, 5);
  assert.ok(p.every((s) => s.animal));
  assert.ok(p[4]!.i >= 15, 'spread over the whole set');
  assert.is(probeSamples(samples.slice(0, 3), 8).length, 3);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloneModel, encodeModel, graphOf, loadModel } from '../../calibration/src/onnx/proto.js';
import { quantizeQdq, quantizeWeight, selectActivations, type ActivationRange } from '../../calibration/src/qdq/quantize.js';
import { dequantizeQOperator } from '../../calibration/src/qdq/qoperator.js';
import { collectRanges } from '../../calibration/src/ranges/collect.js';
import { chooseRanges, prepareFp32 } from '../../calibration/src/quantize/pipeline.js';
import { opCounts, tensorNames } from '../../calibration/src/onnx/graph.js';
import { cacheAlgorithm, parseCalibrationCache, writeCalibrationCache } from '../../calibration/src/trt/cache.js';
import { createSession, runFloat } from '../../calibration/src/ort.js';
import { modelsDir, requireFixtures } from '../helpers/paths.js';
import { tinyConvModel } from './synthetic.js';
import { rng } from '../helpers/rng.js';

requireFixtures();

function inputs(n: number, seed: number): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: 3 * 8 * 8 }, () => r() * 2 - 1));
}

async function run(bytes: Uint8Array, x: Float32Array, name = 'x', dims = [1, 3, 8, 8]) {
  const s = await createSession(bytes);
  try {
    return await runFloat(s, { [name]: { dims, data: x } });
  } finally {
    await s.release();
  }
}

/**
 * onnxruntime's x86 int8 kernels without VNNI multiply u8 activations by s8
 * weights with vpmaddubsw (int8 activations are shifted to u8 first), whose
 * int16 pair sums saturate: QDQ models
 * and the QOperator embedder then differ more from FP32 than on VNNI CPUs or
 * ARM. Measured here (AMD EPYC, AVX2 only): relative errors up to 0.13
 * (0.05 bound elsewhere), embedder cosine 0.899 (0.96 elsewhere).
 */
const U8S8_SATURATES = (() => {
  if (process.arch !== 'x64') return false;
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    return !/\b(avx512_vnni|avx_vnni)\b/.test(flags);
  } catch {
    return false;
  }
})();

test('per-channel symmetric int8 weights: zero point 0, scale max|w|/127 per channel', () => {
  const { q, scales } = quantizeWeight(Float32Array.of(1, -0.5, 0.25, 0, 254, -127), [2, 3], 0);
  assert.equal(Array.from(scales), [Math.fround(1 / 127), 2]);
  assert.equal(Array.from(q), [127, -64, 32, 0, 127, -64]);
});

test('tiny model: ranges -> QDQ model loads and runs in onnxruntime and stays close to FP32', async () => {
  const m = tinyConvModel();
  const xs = inputs(8, 1);
  const stats = await collectRanges(m, () => xs.map((x) => ({ x: { dims: [1, 3, 8, 8], data: x } })), xs.length);
  assert.ok(stats.has('x') && stats.has('c1') && stats.has('r1') && stats.has('y'));
  const amax = chooseRanges(stats, 'minmax');
  for (const layout of ['conv-in', 'conv-io', 'full', 'fused'] as const) {
    for (const activationType of ['int8', 'uint8'] as const) {
      const q = cloneModel(m);
      const ranges = new Map<string, ActivationRange>([...amax].map(([n, a]) => [n, { amax: a, minmax: stats.get(n)!.minmax }]));
      const rep = quantizeQdq(q, ranges, { layout, activationType, quantizeBias: true });
      assert.is(rep.weights, 2);
      const ops = opCounts(q);
      assert.ok((ops.QuantizeLinear ?? 0) >= 1 && (ops.DequantizeLinear ?? 0) >= 3, JSON.stringify(ops));
      const bytes = encodeModel(q);
      for (const x of xs.slice(0, 3)) {
        const ref = (await run(encodeModel(m), x)).y!.data;
        const got = (await run(bytes, x)).y!.data;
        let num = 0,
          den = 0;
        for (let i = 0; i < ref.length; i++) {
          num += (got[i]! - ref[i]!) ** 2;
          den += ref[i]! ** 2;
        }
        const bound = U8S8_SATURATES ? 0.2 : 0.05;
        assert.ok(Math.sqrt(num / den) < bound, `${layout}/${activationType}: relative error ${Math.sqrt(num / den)} (bound ${bound})`);
      }
    }
  }
});

test('layouts: conv-in quantizes conv inputs; full also conv outputs; fused leaves a conv output read only by Relu to the Relu', () => {
  const m = tinyConvModel();
  assert.equal([...selectActivations(m, 'conv-in')].sort(), ['r1', 'x']);
  assert.equal([...selectActivations(m, 'full')].sort(), ['c1', 'r1', 'x', 'y']);
  assert.equal([...selectActivations(m, 'fused')].sort(), ['r1', 'x', 'y']);
});

test('YOLOX: every tensor name in the calibration cache exists in the ONNX graph; the QDQ model runs', async () => {
  const model = loadModel(join(modelsDir, 'yolox_nano_416_coco.onnx'));
  const { fp32 } = prepareFp32(model, {});
  const r = rng(3);
  const xs = Array.from({ length: 2 }, () => Float32Array.from({ length: 3 * 416 * 416 }, () => Math.floor(r() * 256)));
  const stats = await collectRanges(fp32, () => xs.map((x) => ({ images: { dims: [1, 3, 416, 416], data: x } })), xs.length);
  const amax = chooseRanges(stats, 'entropy');
  const cache = writeCalibrationCache(
    [...amax].filter(([, a]) => a > 0).map(([name, a]) => ({ name, amax: a })),
    '8.6.1',
    cacheAlgorithm('entropy'),
  );
  const parsed = parseCalibrationCache(cache);
  assert.is(parsed.version, 8601);
  const names = new Set(tensorNames(model));
  assert.ok(parsed.scales.size > 300, `${parsed.scales.size} entries`);
  for (const n of parsed.scales.keys()) assert.ok(names.has(n), `cache name ${n} is not in the graph`);
  assert.ok(parsed.scales.has('images') && parsed.scales.has('output'));
  const q = cloneModel(fp32);
  quantizeQdq(q, new Map([...amax].map(([n, a]) => [n, { amax: a, minmax: stats.get(n)!.minmax }])), { layout: 'conv-in' });
  const out = await run(encodeModel(q), xs[0]!, 'images', [1, 3, 416, 416]);
  assert.equal(out.output!.dims, [1, 3549, 85]);
  assert.ok(out.output!.data.every(Number.isFinite));
});

test('QOperator MobileNetV2 -> FP32: no QLinear ops left, outputs keep names, pooled embedding agrees', async () => {
  const file = join(modelsDir, 'mobilenetv2-12-int8_pooled.onnx');
  const q = loadModel(file);
  const f = cloneModel(q);
  const rep = dequantizeQOperator(f);
  assert.is(rep.converted.QLinearConv, 52);
  const ops = opCounts(f);
  assert.not.ok(
    Object.keys(ops).some((o) => o.startsWith('QLinear') || o === 'QuantizeLinear' || o === 'DequantizeLinear'),
    JSON.stringify(ops),
  );
  assert.equal(
    graphOf(f).output.map((o) => o.name),
    ['output', 'pooled'],
  );
  const r = rng(5);
  const x = Float32Array.from({ length: 3 * 224 * 224 }, () => r() * 4 - 2);
  const a = (await run(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(file))), x, 'input', [1, 3, 224, 224])).pooled!
    .data;
  const b = (await run(encodeModel(f), x, 'input', [1, 3, 224, 224])).pooled!.data;
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  // The int8 model's rounding is the only difference; on noise input the cosine measured was 0.96 on a
  // CPU with VNNI and 0.899 on an AVX2-only AMD EPYC, where u8 x s8 products saturate (see U8S8_SATURATES).
  const bound = U8S8_SATURATES ? 0.85 : 0.9;
  assert.ok(dot / Math.sqrt(na * nb) > bound, `cosine ${dot / Math.sqrt(na * nb)} (bound ${bound})`);
});

test.run();

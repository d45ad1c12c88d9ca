/**
 * Reproduces the trainer's INT8 numbers and prints one JSON object:
 * - calibration frames: 8 of the 15 shared cats (alternate folders), the 7
 *   negatives, frames captured from the cat clip (through the daemon camera
 *   code) and grey, darkened "IR night" copies of some of them;
 * - YOLOX-nano: k-center calibration set -> quantize -> evaluate against FP32 on
 *   all 250 cat photos (half of which were in the calibration pool) and on the
 *   held-out 7 cats (127 photos never calibrated on);
 * - MobileNetV2 (QOperator int8 -> FP32 -> QDQ), animal crops: embedding cosine
 *   and `gloves eval` top1/false_accept against the original QOperator model,
 *   for int8 conv-input QDQ (TensorRT's form) and uint8 `fused` QDQ (onnxruntime CPU's);
 * - CPU speed of each model vs its reference at the same thread count, runs
 *   interleaved in one process, medians.
 *
 *   npx tsx bench/quantize.ts [--size 64] [--method entropy] [--threads 2] [--runs 30] [--keep DIR]
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { silentLogger } from '../daemon/src/log/logger.js';
import { buildCalibrationSet } from '../calibration/src/calibset/build.js';
import { captureFrames } from '../calibration/src/capture.js';
import { runQuantize } from '../calibration/src/quantize/run.js';
import { runEvaluate, type EvaluationReport } from '../calibration/src/evaluate/run.js';
import { resolveModel } from '../calibration/src/models.js';
import { createSession, runFloat, type OrtSession } from '../calibration/src/ort.js';
import type { CalibrationMethod } from '../calibration/src/ranges/calibrators.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string' },
    method: { type: 'string' },
    threads: { type: 'string' },
    runs: { type: 'string' },
    keep: { type: 'string' },
  },
});
const size = Number(values.size ?? 64);
const method = (values.method ?? 'entropy') as CalibrationMethod;
const threads = Number(values.threads ?? 2);
const runs = Number(values.runs ?? 30);
const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, '.fixtures');
const tmp = values.keep ?? mkdtempSync(join(tmpdir(), 'gloves-bench-q-'));
const log = (l: string): void => void process.stderr.write(l + '\n');
const yolox = join(root, 'models', 'yolox_nano_416_coco.json');
const mnv2 = join(root, 'models', 'mobilenetv2-12-int8_pooled.json');

/** Calibration pool and held-out dataset (symlinks; the night copies are new files). */
async function prepareData(): Promise<{ pool: string; heldOut: string; split: { calibrationCats: string[]; heldOutCats: string[] } }> {
  const pool = join(tmp, 'pool');
  const heldOut = join(tmp, 'held-out');
  const cats = readdirSync(join(fixtures, 'cats'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const calibrationCats = cats.filter((_, i) => i % 2 === 0);
  const heldOutCats = cats.filter((_, i) => i % 2 === 1);
  for (const c of cats) {
    const dir = join(calibrationCats.includes(c) ? join(pool, 'cats') : join(heldOut, 'cats'), c);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(join(fixtures, 'cats', c)).sort()) symlinkSync(join(fixtures, 'cats', c, f), join(dir, f));
  }
  mkdirSync(join(pool, 'negatives'), { recursive: true });
  for (const f of readdirSync(join(fixtures, 'negatives')).sort()) symlinkSync(join(fixtures, 'negatives', f), join(pool, 'negatives', f));
  symlinkSync(join(fixtures, 'negatives'), join(heldOut, 'negatives'));
  log('capturing clip frames');
  const clip = await captureFrames({
    uri: `file://${join(fixtures, 'video', 'cat_chair_640x338.mp4')}`,
    outDir: join(pool, 'clip'),
    frames: 40,
    everySeconds: 0.22,
    log: silentLogger(),
  });
  // Night/IR stand-ins: grey, darker, flatter copies of every 4th clip frame and one photo per calibration cat.
  mkdirSync(join(pool, 'night'), { recursive: true });
  const sources = [
    ...clip.filter((_, i) => i % 4 === 0),
    ...calibrationCats.map((c) => join(pool, 'cats', c, readdirSync(join(pool, 'cats', c)).sort()[0]!)),
  ];
  for (const [k, f] of sources.entries())
    await sharp(f)
      .greyscale()
      .linear(0.7, 10)
      .jpeg({ quality: 90 })
      .toFile(join(pool, 'night', `night-${String(k).padStart(2, '0')}.jpg`));
  return { pool, heldOut, split: { calibrationCats, heldOutCats } };
}

/** Interleaved timing of sessions on one fixed input; median ms per session. */
async function speed(models: Record<string, string>, dims: number[], input: string): Promise<Record<string, unknown>> {
  const sessions: [string, OrtSession][] = [];
  for (const [k, f] of Object.entries(models)) sessions.push([k, await createSession(f, { threads })]);
  const x = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i * 7919) % 255);
  const feed = { [input]: { dims, data: x } };
  const times = new Map<string, number[]>(sessions.map(([k]) => [k, []]));
  for (let i = 0; i < runs + 3; i++)
    for (const [k, s] of sessions) {
      const t = performance.now();
      await runFloat(s, feed);
      if (i >= 3) times.get(k)!.push(performance.now() - t);
    }
  for (const [, s] of sessions) await s.release();
  const med = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  const out: Record<string, unknown> = { threads, runs, warmup: 3 };
  for (const [k, t] of times) out[`${k}MedianMs`] = +med(t).toFixed(2);
  return out;
}

const gateOf = (r: EvaluationReport) => ({ passed: r.gate.passed, failures: r.gate.failures, metrics: r.metrics });
const result: Record<string, unknown> = { method, size, threads, note: 'shared 2-core machine: timings are noisy' };
const { pool, heldOut, split } = await prepareData();
result.data = { pool: 'calibration cats + negatives + clip frames + night copies', split };

log('YOLOX: calibration set, quantize');
await buildCalibrationSet({
  framesDir: pool,
  modelManifest: yolox,
  detectorManifest: yolox,
  size,
  outDir: join(tmp, 'cal-yolox'),
  progress: log,
});
const qy = await runQuantize({
  modelManifest: yolox,
  calibrationDir: join(tmp, 'cal-yolox'),
  method,
  outDir: join(tmp, 'q-yolox'),
  trtVersion: '10.3.0',
  qdq: { layout: 'conv-in', activationType: 'int8' },
  sensitivityTarget: 0.1,
  threads,
  progress: log,
});
const evalArgs = {
  reference: yolox,
  maxDrop: 0.01,
  minAgreement: 0.95,
  minCosine: 0.95,
  shots: 3,
  threads,
  log: silentLogger(),
  progress: log,
};
const all = await runEvaluate({ ...evalArgs, candidate: qy.manifestPath, dataset: fixtures });
mkdirSync(join(tmp, 'q-yolox-held-out'), { recursive: true });
for (const ext of ['onnx', 'json'])
  symlinkSync(
    join(tmp, 'q-yolox', `yolox_nano_416_coco-int8-qdq.${ext}`),
    join(tmp, 'q-yolox-held-out', `yolox_nano_416_coco-int8-qdq.${ext}`),
  );
const held = await runEvaluate({
  ...evalArgs,
  candidate: join(tmp, 'q-yolox-held-out', 'yolox_nano_416_coco-int8-qdq.json'),
  dataset: heldOut,
});
result.yolox = {
  quantizeReport: qy.reportPath,
  allPhotos: gateOf(all.report),
  heldOutPhotos: gateOf(held.report),
  speed: await speed({ fp32: resolveModel(yolox).file, qdq: qy.modelPath }, [1, 3, 416, 416], 'images'),
};

log('MobileNetV2: calibration set (animal crops), quantize');
await buildCalibrationSet({
  framesDir: pool,
  modelManifest: mnv2,
  detectorManifest: yolox,
  size,
  outDir: join(tmp, 'cal-mnv2'),
  shape: { input: [1, 3, 224, 224] },
  progress: log,
});
// Two QDQ forms: int8 symmetric on conv inputs (what TensorRT takes), and uint8 `fused` (what onnxruntime's CPU kernels fuse).
const variants = {
  int8ConvIn: { layout: 'conv-in', activationType: 'int8' },
  uint8Fused: { layout: 'fused', activationType: 'uint8', quantizeBias: true },
} as const;
const embedder: Record<string, unknown> = {};
const qdqFiles: Record<string, string> = {};
for (const [key, qdq] of Object.entries(variants)) {
  const outDir = join(tmp, `q-mnv2-${key}`);
  const q = await runQuantize({
    modelManifest: mnv2,
    calibrationDir: join(tmp, 'cal-mnv2'),
    method,
    outDir,
    trtVersion: '10.3.0',
    qdq,
    sensitivityTarget: 0.1,
    threads,
    progress: log,
  });
  const e = await runEvaluate({ ...evalArgs, reference: mnv2, candidate: q.manifestPath, dataset: join(fixtures, 'cats') });
  embedder[key] = { qdq, quantizeReport: q.reportPath, gate: gateOf(e.report) };
  qdqFiles[key] = q.modelPath;
}
const fp32File = join(tmp, 'q-mnv2-int8ConvIn', 'mobilenetv2-12-int8_pooled-fp32.onnx');
result.mobilenetv2 = {
  reference: 'the original QOperator int8 model',
  ...embedder,
  speed: await speed({ qoperator: resolveModel(mnv2).file, fp32: fp32File, ...qdqFiles }, [1, 3, 224, 224], 'input'),
};
result.out = tmp;
process.stdout.write(JSON.stringify(result, null, 2) + '\n');

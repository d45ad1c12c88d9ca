/**
 * Reproduces the trainer's INT8 numbers and prints one JSON object:
 * YOLOX-nano and MobileNetV2 (QOperator -> FP32 -> QDQ) quantized from
 * k-center calibration sets of the shared photos, gated against FP32, and
 * CPU speed of each QDQ model vs its reference at the same thread count.
 *
 *   npx tsx bench/quantize.ts [--size 24] [--method entropy] [--threads 2] [--runs 30]
 *
 * Timings on a shared 2-core machine are noisy: runs are interleaved and medians reported.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../daemon/src/log/logger.js';
import { buildCalibrationSet } from '../calibration/src/calibset/build.js';
import { runQuantize } from '../calibration/src/quantize/run.js';
import { runEvaluate } from '../calibration/src/evaluate/run.js';
import { resolveModel } from '../calibration/src/models.js';
import { createSession, runFloat } from '../calibration/src/ort.js';
import type { CalibrationMethod } from '../calibration/src/ranges/calibrators.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, method: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, layout: { type: 'string' } } });
const size = Number(values.size ?? 24);
const method = (values.method ?? 'entropy') as CalibrationMethod;
const threads = Number(values.threads ?? 2);
const runs = Number(values.runs ?? 30);
const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'gloves-bench-q-'));
const log = (l: string): void => void process.stderr.write(l + '\n');

async function speed(refManifest: string, candManifest: string, dims: number[], input: string) {
  const r = await createSession(resolveModel(refManifest).file, { threads });
  const c = await createSession(resolveModel(candManifest).file, { threads });
  const x = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i * 7919) % 255);
  const feed = { [input]: { dims, data: x } };
  for (let i = 0; i < 3; i++) {
    await runFloat(r, feed);
    await runFloat(c, feed);
  }
  const tr: number[] = [];
  const tc: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await runFloat(r, feed);
    tr.push(performance.now() - t);
    t = performance.now();
    await runFloat(c, feed);
    tc.push(performance.now() - t);
  }
  await r.release();
  await c.release();
  const med = (a: number[]): number => a.sort((p, q) => p - q)[a.length >> 1]!;
  return { threads, runs, fp32MedianMs: +med(tr).toFixed(2), qdqMedianMs: +med(tc).toFixed(2), speedup: +(med(tr) / med(tc)).toFixed(3) };
}

const yolox = join(root, 'models', 'yolox_nano_416_coco.json');
const mnv2 = join(root, 'models', 'mobilenetv2-12-int8_pooled.json');
const layout = (values.layout ?? 'conv-in') as 'conv-in';
const result: Record<string, unknown> = { method, size, layout, threads, note: 'shared 2-core machine: timings are noisy' };

log('YOLOX: calibration set');
await buildCalibrationSet({ framesDir: join(root, '.fixtures'), modelManifest: yolox, detectorManifest: yolox, size, outDir: join(tmp, 'cal-yolox'), progress: log });
const qy = await runQuantize({ modelManifest: yolox, calibrationDir: join(tmp, 'cal-yolox'), method, outDir: join(tmp, 'q-yolox'), trtVersion: '10.3.0', qdq: { layout, activationType: 'int8' }, sensitivityTarget: 0.1, threads, progress: log });
const ey = await runEvaluate({ reference: yolox, candidate: qy.manifestPath, dataset: join(root, '.fixtures'), maxDrop: 0.01, minAgreement: 0.95, minCosine: 0.95, shots: 3, threads, log: silentLogger(), progress: log });
result.yolox = { gate: ey.report.gate, metrics: ey.report.metrics, speed: await speed(yolox, qy.manifestPath, [1, 3, 416, 416], 'images'), out: qy.manifestPath };

log('MobileNetV2: calibration set');
await buildCalibrationSet({ framesDir: join(root, '.fixtures', 'cats'), modelManifest: mnv2, detectorManifest: yolox, size, outDir: join(tmp, 'cal-mnv2'), shape: { input: [1, 3, 224, 224] }, progress: log });
const qm = await runQuantize({ modelManifest: mnv2, calibrationDir: join(tmp, 'cal-mnv2'), method, outDir: join(tmp, 'q-mnv2'), trtVersion: '10.3.0', qdq: { layout, activationType: 'int8' }, sensitivityTarget: 0.1, threads, progress: log });
const em = await runEvaluate({ reference: mnv2, candidate: qm.manifestPath, dataset: join(root, '.fixtures', 'cats'), maxDrop: 0.01, minAgreement: 0.95, minCosine: 0.95, shots: 3, threads, log: silentLogger(), progress: log });
result.mobilenetv2 = { gate: em.report.gate, metrics: em.report.metrics, speed: await speed(mnv2, qm.manifestPath, [1, 3, 224, 224], 'input'), out: qm.manifestPath };

process.stdout.write(JSON.stringify(result, null, 2) + '\n');

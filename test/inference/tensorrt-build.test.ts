/**
 * The TensorRT backend's build path over the strict mock addon: calibration
 * algorithm policy and the FP16 fallback when TensorRT rejects a cache, the
 * engine-cache error handling (which load errors delete a cached engine, write
 * failures), the timing cache, DLA with dynamic shapes, and build heartbeats.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlovesError } from '../../daemon/src/errors.js';
import { createTensorRtBackend, type BuildProgressEvent, type TensorRtOptions } from '../../daemon/src/inference/tensorrt/backend.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { createMockAddon, type MockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { clampCalibrationScales, nvTensorrtVersionCode, planBuild } from '../../daemon/src/inference/tensorrt/policy.js';
import { manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { floatEmbedderFile, qoperatorEmbedder } from './trt-ready.js';

requireFixtures();
const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
const detFile = join(modelsDir, det.file);
const orin = createMockAddon().info();
const cache = (algorithm: string, v = '10.3.0') => `TRT-${nvTensorrtVersionCode(v)}-${algorithm}\nimages: 3c010204\n`;

function setup(extra: Partial<TensorRtOptions> = {}, addon: MockAddon = createMockAddon()) {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-trt-build-'));
  const lines: string[] = [];
  const logger = createLogger('t', { level: 'debug', sink: (l) => lines.push(l) });
  const backend = createTensorRtBackend({
    addon,
    logger,
    engineCacheDir: join(dir, 'engines'),
    calibrationDir: join(dir, 'calib'),
    ...extra,
  });
  const engines = () => readdirSync(join(dir, 'engines')).filter((f) => f.endsWith('.engine'));
  return { addon, dir, lines, backend, engines, warned: (re: RegExp) => lines.some((l) => l.startsWith('WARN') && re.test(l)) };
}

async function code(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
  } catch (err) {
    assert.instance(err, GlovesError);
    return (err as GlovesError).code;
  }
  return 'NO_ERROR';
}

test('calibration policy: the calibrator class follows the cache header; an algorithm without one is FP16', () => {
  const plan = (text: string) => planBuild(orin, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: text });
  assert.is(plan(cache('EntropyCalibration2')).calibrationAlgorithm, 'EntropyCalibration2');
  assert.is(plan(cache('MinMaxCalibration')).calibrationAlgorithm, 'MinMaxCalibration', 'gloves-trainer quantize --method minmax');
  assert.is(plan(cache('EntropyCalibration')).calibrationAlgorithm, 'EntropyCalibration');
  const legacy = plan(cache('LegacyCalibration'));
  assert.is(legacy.precision, 'fp16');
  assert.match(legacy.warnings.join(), /LegacyCalibration has no cache-only calibrator/);
});

test('calibration scales of 0 (amax 0) or not finite are clamped to a tiny positive scale', () => {
  const c = clampCalibrationScales('TRT-100300-EntropyCalibration2\na: 3c010204\nb: 00000000\nc: 80000000\nd: 7fc00000\n');
  assert.equal(c.clamped, ['b', 'c', 'd']);
  assert.match(c.text, /^TRT-100300-EntropyCalibration2\na: 3c010204\nb: 2b8cbccc\nc: 2b8cbccc\nd: 2b8cbccc\n$/);
});

test('a MinMaxCalibration cache builds INT8 with the MinMax calibrator (the mock, like TensorRT, rejects a mismatched class)', async () => {
  const t = setup();
  mkdirSync(join(t.dir, 'calib'));
  writeFileSync(join(t.dir, 'calib', `${det.name}.calib`), cache('MinMaxCalibration'));
  await (await t.backend.load(det, detFile, { precision: 'int8' })).dispose();
  assert.is(t.addon.builds.length, 1);
  assert.is(t.addon.builds[0]!.precision, 'int8');
  assert.is(t.addon.builds[0]!.calibrationAlgorithm, 'MinMaxCalibration');
  const wrongClass = await t.addon.buildEngine!({ ...t.addon.builds[0]!, calibrationAlgorithm: 'EntropyCalibration2' }).catch(
    (e: unknown) => e,
  );
  assert.is((wrongClass as { code: string }).code, 'TRT_CALIBRATION_CACHE_REJECTED');
});

test('TensorRT asking for calibration data (TRT_CALIBRATION_CACHE_REJECTED) falls back to FP16 with a warning', async () => {
  const t = setup();
  t.addon.rejectCalibrationCaches = true;
  mkdirSync(join(t.dir, 'calib'));
  writeFileSync(join(t.dir, 'calib', `${det.name}.calib`), cache('EntropyCalibration2'));
  const s = await t.backend.load(det, detFile, { precision: 'int8' });
  await s.dispose();
  assert.equal(
    t.addon.builds.map((b) => b.precision),
    ['int8', 'fp16'],
  );
  assert.ok(t.warned(/did not use the EntropyCalibration2 calibration cache .* using FP16/), t.lines.join('\n'));
  assert.match(t.engines().join(), /\.fp16\.GPU\./);
});

test('engine cache: only TRT_DESERIALIZE_FAILED deletes and rebuilds; other load errors keep the file and fail', async () => {
  const t = setup();
  await (await t.backend.load(det, detFile)).dispose();
  const [file] = t.engines();
  t.addon.loadFailures.push('TRT_LOAD_FAILED'); // e.g. out of memory or no CUDA stream
  const err = await t.backend.load(det, detFile).catch((e: unknown) => e);
  assert.is((err as GlovesError).code, 'MODEL_LOAD_FAILED');
  assert.is((err as GlovesError).context.nativeCode, 'TRT_LOAD_FAILED');
  assert.equal(t.engines(), [file], 'a minutes-long rebuild would not help: the engine stays');
  assert.is(t.addon.builds.length, 1);
  t.addon.loadFailures.push('TRT_DESERIALIZE_FAILED');
  await (await t.backend.load(det, detFile)).dispose();
  assert.is(t.addon.builds.length, 2, 'a refused engine is rebuilt');
  assert.ok(t.warned(/refused the cached engine/));
});

test('engine cache: an unwritable cache directory is a warning and the built engine is used', async () => {
  // A file where the directory should be (chmod would not stop root).
  const dir = mkdtempSync(join(tmpdir(), 'gloves-trt-ro-'));
  const blocked = join(dir, 'engines');
  writeFileSync(blocked, 'a file, not a directory');
  const t = setup({ engineCacheDir: join(blocked, 'sub') });
  const s = await t.backend.load(det, detFile);
  const out = await s.run({ images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416) } });
  assert.equal(out.output!.dims, [1, 3549, 85]);
  await s.dispose();
  assert.ok(t.warned(/cannot cache the engine .* continuing without caching it/), t.lines.join('\n'));
});

test('timing cache: written after a build and handed to the next; TensorRT info lines are logged at debug', async () => {
  const t = setup({ maxBatch: 4 });
  await (await t.backend.load(det, detFile)).dispose();
  await (await t.backend.load(qoperatorEmbedder().manifest, floatEmbedderFile())).dispose();
  assert.is(t.addon.builds[0]!.timingCache, undefined);
  assert.is(
    new TextDecoder().decode(t.addon.builds[1]!.timingCache!),
    'GLOVES-MOCK-TIMING/1',
    "second build got the first build's timing cache",
  );
  assert.ok(
    t.lines.some((l) => l.startsWith('DEBUG') && l.includes('TensorRT info: [MemUsageChange]')),
    t.lines.join('\n'),
  );
});

test('DLA: fixed-shape models go to the DLA core, a free batch dimension stays on the GPU with a warning', async () => {
  const t = setup({ dlaCore: 1, maxBatch: 4 });
  await (await t.backend.load(det, detFile)).dispose();
  await (await t.backend.load(qoperatorEmbedder().manifest, floatEmbedderFile())).dispose();
  assert.equal(
    t.addon.builds.map((b) => b.dlaCore),
    [1, -1],
  );
  assert.ok(t.warned(/DLA needs fixed shapes/));
  const direct = await t.addon.buildEngine!({ ...t.addon.builds[1]!, dlaCore: 0 }).catch((e: unknown) => e);
  assert.is(
    (direct as { code: string }).code,
    'TRT_BUILD_FAILED',
    'the mock, like TensorRT without fallback, refuses DLA with a dynamic profile',
  );
});

test('heartbeats: onBuildProgress at once, every heartbeatMs while a slow build runs, then done; none for a cached engine', async () => {
  const events: BuildProgressEvent[] = [];
  const t = setup({ heartbeatMs: 40, onBuildProgress: (p) => events.push(p) }, createMockAddon({ buildDelayMs: 400 }));
  await (await t.backend.load(det, detFile)).dispose();
  assert.ok(events.length >= 5, `events: ${events.length}`);
  assert.ok(events.every((e) => e.model === det.name));
  assert.is(events.at(-1)!.done, true);
  assert.ok(events.filter((e) => !e.done).every((e, i, a) => i === 0 || e.elapsedMs >= a[i - 1]!.elapsedMs));
  const n = events.length;
  await (await t.backend.load(det, detFile)).dispose();
  assert.is(events.length, n);
  assert.is(await code(() => t.backend.load(det, join(t.dir, 'missing.onnx'))), 'MODEL_LOAD_FAILED');
});

test.run();

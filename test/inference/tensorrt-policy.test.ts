/** TensorRT policy (pure) and the backend's engine cache, over the mock addon. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTensorRtBackend } from '../../daemon/src/inference/tensorrt/backend.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import type { NativeInfo } from '../../daemon/src/native/addon.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import {
  engineFileName,
  engineKey,
  nvTensorrtVersionCode,
  planBuild,
  profilesFor,
  type EngineKeyParts,
} from '../../daemon/src/inference/tensorrt/policy.js';
import { manifestsDir, modelsDir } from '../helpers/paths.js';

const orin = createMockAddon().info();
const nano: NativeInfo = { ...orin, tensorrtVersion: '8.2.1', computeCapability: '5.3', dlaCores: 0, namedTensorApi: false };
const cache = (v: string) => `TRT-${nvTensorrtVersionCode(v)}-EntropyCalibration2\nimages: 3c010204\n`;

test('INT8 on Jetson Nano (sm_53) falls back to FP16 with a warning', () => {
  const p = planBuild(nano, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: cache('8.2.1') });
  assert.is(p.precision, 'fp16');
  assert.is(p.int8Mode, 'none');
  assert.match(p.warnings.join(), /sm_53/);
});

test('INT8 with a matching calibration cache is implicit INT8; a mismatched or missing cache is FP16', () => {
  assert.equal(planBuild(orin, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: cache('10.3.0') }), {
    precision: 'int8',
    int8Mode: 'calibration-cache',
    calibrationAlgorithm: 'EntropyCalibration2',
    dlaCore: -1,
    warnings: [],
  });
  assert.is(planBuild(orin, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: cache('8.6.1') }).precision, 'fp16');
  assert.is(planBuild(orin, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: null }).precision, 'fp16');
  assert.is(nvTensorrtVersionCode('8.2.5'), 8205);
  assert.is(nvTensorrtVersionCode('10.3.0'), 100300);
});

test('a Q/DQ model is explicit INT8; TensorRT 11 has no implicit INT8 nor FP16 flag', () => {
  assert.equal(planBuild(orin, { requested: 'fp16', dlaCore: null, modelKind: 'qdq', calibrationCache: null }).int8Mode, 'qdq');
  const trt11 = { ...orin, tensorrtVersion: '11.1.0', implicitInt8: false, precisionFlags: false };
  assert.is(
    planBuild(trt11, { requested: 'int8', dlaCore: null, modelKind: 'float', calibrationCache: cache('11.1.0') }).precision,
    'fp32',
  );
  assert.is(planBuild(trt11, { requested: 'int8', dlaCore: null, modelKind: 'qdq', calibrationCache: null }).int8Mode, 'qdq');
});

test('DLA: FP32 becomes FP16; a core the device lacks means GPU only', () => {
  assert.equal(planBuild(orin, { requested: 'fp32', dlaCore: 1, modelKind: 'float', calibrationCache: null }).precision, 'fp16');
  assert.is(planBuild(orin, { requested: 'fp16', dlaCore: 1, modelKind: 'float', calibrationCache: null }).dlaCore, 1);
  assert.is(planBuild(nano, { requested: 'fp16', dlaCore: 0, modelKind: 'float', calibrationCache: null }).dlaCore, -1);
});

test('engine key changes with every part (device name and SM count too: all Orins are sm_87); file name says device and precision', () => {
  const base: EngineKeyParts = {
    modelSha256: 'a'.repeat(64),
    tensorrtVersion: '10.3.0',
    computeCapability: '8.7',
    deviceName: 'Orin',
    multiprocessors: 16,
    precision: 'fp16',
    int8Mode: 'none',
    dlaCore: -1,
    inputs: [{ name: 'x', min: [1], opt: [1], max: [8] }],
    calibrationSha256: null,
  };
  const variants: Partial<EngineKeyParts>[] = [
    { modelSha256: 'b'.repeat(64) },
    { tensorrtVersion: '10.3.1' },
    { computeCapability: '7.2' },
    { precision: 'int8' },
    { deviceName: 'Orin Nano' },
    { multiprocessors: 8 },
    { dlaCore: 0 },
    { inputs: [{ name: 'x', min: [1], opt: [1], max: [4] }] },
    { calibrationSha256: 'c' },
  ];
  const keys = new Set([engineKey(base), ...variants.map((v) => engineKey({ ...base, ...v }))]);
  assert.is(keys.size, variants.length + 1);
  assert.match(engineFileName('yolox', { ...base, dlaCore: 1 }), /^yolox\.trt10\.3\.0\.sm87\.fp16\.DLA_1\.[0-9a-f]{16}\.engine$/);
});

test('profiles: a free batch dim ranges 1..maxBatch; fixed inputs need none', () => {
  const emb = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));
  const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
  assert.equal(profilesFor(emb, 8), [{ name: 'input', min: [1, 3, 224, 224], opt: [1, 3, 224, 224], max: [8, 3, 224, 224] }]);
  assert.equal(profilesFor(det, 8), []);
});

test('backend: engines are cached and reused; a corrupt cached engine is rebuilt; sm_53 builds FP16', async () => {
  const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
  const dir = mkdtempSync(join(tmpdir(), 'gloves-engines-'));
  const warnings: string[] = [];
  const logger = createLogger('t', { level: 'warn', sink: (l) => warnings.push(l) });
  const addon = createMockAddon({ info: { computeCapability: '5.3', tensorrtVersion: '8.2.1', dlaCores: 0 } });
  const backend = createTensorRtBackend({ addon, logger, engineCacheDir: dir, precision: 'int8' });
  await (await backend.load(det, join(modelsDir, det.file))).dispose();
  assert.is(addon.builds.length, 1);
  assert.is(addon.builds[0]!.precision, 'fp16');
  assert.match(warnings.join('\n'), /no useful INT8/);
  const engines = () => readdirSync(dir).filter((f) => f.endsWith('.engine'));
  const files = engines();
  assert.equal(files.length, 1);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('timing.')).length, 1, 'a timing cache beside the engines');
  assert.match(files[0]!, /\.trt8\.2\.1\.sm53\.fp16\.GPU\./);
  await (await backend.load(det, join(modelsDir, det.file))).dispose();
  assert.is(addon.builds.length, 1, 'second load uses the cache');
  writeFileSync(join(dir, files[0]!), 'garbage');
  await (await backend.load(det, join(modelsDir, det.file))).dispose();
  assert.is(addon.builds.length, 2, 'corrupt engine rebuilt');
  const other = createMockAddon({ info: { computeCapability: '8.7', tensorrtVersion: '10.3.0' } });
  await (await createTensorRtBackend({ addon: other, logger, engineCacheDir: dir }).load(det, join(modelsDir, det.file))).dispose();
  assert.is(other.builds.length, 1, 'another device never reuses that engine');
  assert.is(engines().length, 2);
});

test.run();

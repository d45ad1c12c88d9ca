/**
 * Which models TensorRT takes, over the strict mock addon: float / Q/DQ / QOperator
 * classification, the mock refusing QOperator as TensorRT's parser does (onnxruntime
 * would accept it), the per-model `auto` choice, and batch chunking in the session.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import { loadConfig } from '../../daemon/src/config/load.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { createBackend, modelBackend } from '../../daemon/src/inference/select.js';
import { createTensorRtBackend } from '../../daemon/src/inference/tensorrt/backend.js';
import type { TrtSession } from '../../daemon/src/inference/tensorrt/session.js';
import { createLogger, silentLogger } from '../../daemon/src/log/logger.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { setNativeAddonOverride } from '../../daemon/src/native/addon.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { classifyOnnxBytes, classifyOnnxModel } from '../../daemon/src/inference/tensorrt/onnx-qdq.js';
import { chooseModelBackend } from '../../daemon/src/inference/tensorrt/policy.js';
import { manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { floatEmbedderFile, qoperatorEmbedder } from './trt-ready.js';

requireFixtures();
const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
const detFile = join(modelsDir, det.file);
const emb = qoperatorEmbedder();

async function code(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
  } catch (err) {
    assert.instance(err, GlovesError);
    return (err as GlovesError).code;
  }
  return 'NO_ERROR';
}

/** A graph of the given (domain, op) nodes: enough for classification. */
function graphOf(nodes: [string, string][]): Uint8Array {
  const node = nodes.map(([domain, opType], i) => ({ opType, domain, name: `n${i}`, input: [`t${i}`], output: [`t${i + 1}`] }));
  return onnxPkg.onnx.ModelProto.encode(onnxPkg.onnx.ModelProto.create({ irVersion: 8, graph: { name: 'g', node } })).finish();
}

test('classification: the shipped embedder is QOperator, the detector and the trainer float copy are float', () => {
  const e = classifyOnnxModel(emb.file);
  assert.is(e.kind, 'qoperator');
  assert.is(e.qoperatorOps.QLinearConv, 52);
  assert.is(e.qoperatorOps['com.microsoft.QLinearAdd'], 11);
  assert.is(e.qdqNodes, 4, 'its Q/DQ nodes (1 QuantizeLinear, 3 DequantizeLinear) do not make it a Q/DQ model');
  assert.is(classifyOnnxModel(detFile).kind, 'float');
  assert.is(classifyOnnxModel(floatEmbedderFile()).kind, 'float');
});

test('classification: Q/DQ, integer ops and non-default domains', () => {
  assert.is(
    classifyOnnxBytes(
      graphOf([
        ['', 'QuantizeLinear'],
        ['', 'DequantizeLinear'],
        ['', 'Conv'],
      ]),
    ).kind,
    'qdq',
  );
  assert.is(classifyOnnxBytes(graphOf([['ai.onnx', 'Relu']])).kind, 'float');
  for (const op of ['ConvInteger', 'MatMulInteger', 'DynamicQuantizeLinear', 'QLinearMatMul']) {
    assert.is(
      classifyOnnxBytes(
        graphOf([
          ['', 'QuantizeLinear'],
          ['', op],
        ]),
      ).kind,
      'qoperator',
      op,
    );
  }
  assert.equal(classifyOnnxBytes(graphOf([['com.microsoft', 'FusedConv']])).qoperatorOps, { 'com.microsoft.FusedConv': 1 });
  assert.throws(
    () => classifyOnnxBytes(new TextEncoder().encode('not onnx at all, no')),
    (e: unknown) => (e as GlovesError).code === 'MODEL_LOAD_FAILED',
  );
});

test('the mock refuses QOperator like TensorRT: TRT_PARSE_FAILED from the build, TRT_UNSUPPORTED_MODEL from the backend', async () => {
  const addon = createMockAddon();
  const err = await addon.buildEngine!({
    onnxPath: emb.file,
    precision: 'fp16',
    int8Mode: 'none',
    dlaCore: -1,
    workspaceBytes: 2 ** 28,
    profiles: [],
  }).catch((e: unknown) => e);
  assert.is((err as { code: string }).code, 'TRT_PARSE_FAILED');
  assert.match((err as Error).message, /No importer registered for op: QLinearConv/);
  const backend = createTensorRtBackend({ addon, logger: silentLogger(), engineCacheDir: mkdtempSync(join(tmpdir(), 'gloves-engines-')) });
  assert.is(await code(() => backend.load(emb.manifest, emb.file)), 'TRT_UNSUPPORTED_MODEL');
  assert.is(addon.builds.length, 1, 'refused before any build');
});

test('chooseModelBackend: auto sends what TensorRT cannot take to onnxruntime; tensorrt refuses it', () => {
  const orin = createMockAddon().info();
  const nano = { ...orin, computeCapability: '5.3', tensorrtVersion: '8.2.1' };
  const q = classifyOnnxModel(emb.file);
  const qdq = { kind: 'qdq' as const, qoperatorOps: {} };
  const float = { kind: 'float' as const, qoperatorOps: {} };
  assert.is(chooseModelBackend('auto', orin, float).backend, 'tensorrt');
  assert.is(chooseModelBackend('auto', orin, qdq).backend, 'tensorrt');
  const auto = chooseModelBackend('auto', orin, q);
  assert.is(auto.backend, 'onnxruntime');
  assert.match(auto.reason, /QOperator int8 model \(52 QLinearConv, 11 com\.microsoft\.QLinearAdd/);
  assert.is(chooseModelBackend('auto', nano, qdq).backend, 'onnxruntime', 'Q/DQ on sm_53');
  assert.is(chooseModelBackend('auto', nano, float).backend, 'tensorrt');
  assert.is(chooseModelBackend('auto', null, float, 'no GPU').reason, 'no GPU');
  assert.is(chooseModelBackend('onnxruntime', orin, float).backend, 'onnxruntime');
  assert.throws(
    () => chooseModelBackend('tensorrt', orin, q),
    (e: unknown) => (e as GlovesError).code === 'TRT_UNSUPPORTED_MODEL',
  );
  assert.throws(
    () => chooseModelBackend('tensorrt', null, float),
    (e: unknown) => (e as GlovesError).code === 'BACKEND_UNAVAILABLE',
  );
});

test('per-model auto on a TensorRT build: detector on TensorRT, shipped embedder on onnxruntime, logged per model', async () => {
  const addon = createMockAddon();
  setNativeAddonOverride(addon);
  try {
    const lines: string[] = [];
    const log = createLogger('t', { level: 'info', sink: (l) => lines.push(l) });
    const inference = loadConfig({
      overrides: { inference: { engineCacheDir: mkdtempSync(join(tmpdir(), 'gloves-engines-')) } },
    }).inference;
    const backend = createBackend(inference, log);
    assert.is(backend.name, 'auto');
    const d = await backend.load(det, detFile);
    const e = await backend.load(emb.manifest, emb.file);
    assert.is(d.backend, 'tensorrt');
    assert.is(e.backend, 'onnxruntime');
    assert.ok(
      lines.some((l) => l.includes('yolox_nano_416_coco: tensorrt (float model')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes('mobilenetv2-12-int8_pooled: onnxruntime (QOperator int8 model')),
      lines.join('\n'),
    );
    await d.dispose();
    await e.dispose();
    assert.is(modelBackend({ ...inference, backend: 'auto' }, addon, emb.file).backend, 'onnxruntime');
    assert.is(modelBackend({ ...inference, backend: 'auto' }, null, detFile).reason, 'the native addon is not built');
    const strict = createBackend({ ...inference, backend: 'tensorrt' }, silentLogger());
    assert.is(await code(() => strict.load(emb.manifest, emb.file)), 'TRT_UNSUPPORTED_MODEL');
    assert.is(await code(() => strict.load(det, join(modelsDir, 'missing.onnx'))), 'MODEL_LOAD_FAILED');
  } finally {
    setNativeAddonOverride(undefined);
  }
});

test('batch chunking: a batch over maxBatch runs in chunks and matches one-by-one results; the engine itself refuses it', async () => {
  const addon = createMockAddon();
  const backend = createTensorRtBackend({
    addon,
    logger: silentLogger(),
    engineCacheDir: mkdtempSync(join(tmpdir(), 'gloves-engines-')),
    maxBatch: 2,
  });
  const s = (await backend.load(emb.manifest, floatEmbedderFile())) as TrtSession;
  assert.equal(addon.builds[0]!.profiles, [{ name: 'input', min: [1, 3, 224, 224], opt: [1, 3, 224, 224], max: [2, 3, 224, 224] }]);
  const plane = 3 * 224 * 224;
  const data = new Float32Array(5 * plane);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001 + Math.floor(i / plane));
  const out = (await s.run({ input: { dims: [5, 3, 224, 224], data } })).pooled!;
  assert.equal(out.dims, [5, 1280, 1, 1]);
  assert.is(s.runs, 3, 'chunks of 2, 2, 1');
  for (const i of [0, 3, 4]) {
    const one = (await s.run({ input: { dims: [1, 3, 224, 224], data: data.slice(i * plane, (i + 1) * plane) } })).pooled!;
    const got = out.data.subarray(i * 1280, (i + 1) * 1280);
    assert.ok(
      one.data.every((v, k) => Math.abs(v - got[k]!) < 1e-4),
      `item ${i}`,
    );
  }
  const engine = await addon.loadEngine!((await addon.buildEngine!(addon.builds[0]!)).engine, -1);
  const err = await engine.run([{ name: 'input', dims: [5, 3, 224, 224], data }]).catch((e: unknown) => e);
  assert.is((err as { code: string }).code, 'TRT_RUN_FAILED', "the engine keeps to its profile: chunking is the session's job");
  engine.dispose();
  await s.dispose();
});

test.run();

/**
 * The ONE inference backend contract suite (daemon/src/inference/backend.ts),
 * run by onnxruntime.test.ts, mock-native.test.ts and tensorrt.test.ts against
 * each backend. Numeric checks are semantic (a cat is found in a cat photo,
 * crops of the same cat embed alike) so FP16/INT8 engines pass them too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlovesError } from '../../daemon/src/errors.js';
import type { InferenceBackend, InferenceSession } from '../../daemon/src/inference/backend.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { decodeYolox } from '../../daemon/src/recognition/detection/yolox.js';
import { decodeImageFile } from '../../daemon/src/vision/decode.js';
import { preprocess } from '../../daemon/src/vision/preprocess.js';
import { fixtures, manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';

export type BackendFactory = () => Promise<InferenceBackend>;

async function code(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
  } catch (err) {
    assert.instance(err, GlovesError);
    return (err as GlovesError).code;
  }
  return 'NO_ERROR';
}

const cosine = (a: Float32Array, b: Float32Array): number => {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
};

export interface ContractOptions {
  /** The embedder file to load with the shipped embedder's manifest (TensorRT: a float copy, see ./trt-ready.ts). */
  embedderFile?: () => string;
}

/** Register the contract tests for one backend (the caller runs test.run()); `skip` (a reason) registers them as skipped and prints why. */
export function backendContract(
  label: string,
  expectName: string,
  make: BackendFactory,
  skip: string | null,
  opts: ContractOptions = {},
): void {
  if (skip) {
    // Printed, not test.skip: scripts/run-tests.mjs miscounts uvu skips as failed = -1.
    console.log(`SKIPPED ${label} contract (7 tests): ${skip}`);
    return;
  }
  requireFixtures();
  const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
  const emb = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));
  let backend: InferenceBackend;
  let detS: InferenceSession;
  let embS: InferenceSession;

  test.before(async () => {
    backend = await make();
    detS = await backend.load(det, join(modelsDir, det.file));
    embS = await backend.load(emb, opts.embedderFile?.() ?? join(modelsDir, emb.file));
  });
  test.after(async () => {
    await detS?.dispose();
    await embS?.dispose();
  });

  const catImage = () => decodeImageFile(join(fixtures, 'multi', 'two_cats_window.jpg'));

  test(`${label}: sessions report their backend and manifest`, () => {
    assert.is(backend.name, expectName);
    assert.is(detS.backend, expectName);
    assert.is(detS.manifest, det);
  });

  test(`${label}: detector output has the manifest's name and shape and finds the cats`, async () => {
    const img = await catImage();
    const { tensor } = preprocess(img, det.preprocess, 416, 416);
    const out = await detS.run({ images: { dims: [1, 3, 416, 416], data: tensor } });
    assert.equal(Object.keys(out), ['output']);
    assert.equal(out.output!.dims, [1, 3549, 85]);
    assert.ok(out.output!.data.every(Number.isFinite));
    const cats = decodeYolox(out.output!.data, out.output!.dims, {
      inputWidth: 416,
      inputHeight: 416,
      strides: [8, 16, 32],
      classIds: [15],
      minScore: 0.5,
    });
    assert.ok(cats.length >= 2, `expected cat candidates, got ${cats.length}`);
  });

  test(`${label}: embedder takes a free batch dimension; same crop embeds alike, a different one less`, async () => {
    const img = await catImage();
    const plane = 3 * 224 * 224;
    const batch = new Float32Array(3 * plane);
    batch.set(preprocess(img, emb.preprocess, 224, 224, { x: 0, y: 0, width: 300, height: 300 }).tensor, 0);
    batch.set(preprocess(img, emb.preprocess, 224, 224, { x: 0, y: 0, width: 300, height: 300 }).tensor, plane);
    batch.set(
      preprocess(img, emb.preprocess, 224, 224, { x: img.width - 200, y: img.height - 120, width: 200, height: 120 }).tensor,
      2 * plane,
    );
    const out = (await embS.run({ input: { dims: [3, 3, 224, 224], data: batch } })).pooled!;
    assert.equal(out.dims, [3, 1280, 1, 1]);
    const e = [0, 1, 2].map((i) => out.data.subarray(i * 1280, (i + 1) * 1280));
    assert.ok(cosine(e[0]!, e[1]!) > 0.999, 'identical crops');
    assert.ok(cosine(e[0]!, e[2]!) < cosine(e[0]!, e[1]!) - 0.01, 'different crops differ');
    const single = (await embS.run({ input: { dims: [1, 3, 224, 224], data: batch.slice(0, plane) } })).pooled!;
    assert.equal(single.dims, [1, 1280, 1, 1]);
    assert.ok(cosine(single.data, e[0]!) > 0.999, 'batch of 1 agrees with the batch of 3');
  });

  test(`${label}: concurrent runs give the same results as sequential ones`, async () => {
    const a = new Float32Array(3 * 416 * 416).fill(0.5);
    const b = new Float32Array(3 * 416 * 416).fill(114);
    const [ra, rb] = await Promise.all([
      detS.run({ images: { dims: [1, 3, 416, 416], data: a } }),
      detS.run({ images: { dims: [1, 3, 416, 416], data: b } }),
    ]);
    const sa = await detS.run({ images: { dims: [1, 3, 416, 416], data: a } });
    assert.equal(Array.from(ra.output!.data.subarray(0, 500)), Array.from(sa.output!.data.subarray(0, 500)));
    assert.not.equal(Array.from(ra.output!.data.subarray(0, 500)), Array.from(rb.output!.data.subarray(0, 500)));
  });

  test(`${label}: wrong inputs are INFERENCE_FAILED`, async () => {
    const t = new Float32Array(3 * 416 * 416);
    assert.is(await code(() => detS.run({})), 'INFERENCE_FAILED', 'missing input');
    assert.is(await code(() => detS.run({ images: { dims: [1, 3, 416, 415], data: t } })), 'INFERENCE_FAILED', 'wrong shape');
    assert.is(await code(() => detS.run({ images: { dims: [1, 3, 416, 416], data: t.subarray(1) } })), 'INFERENCE_FAILED', 'wrong length');
    assert.is(await code(() => detS.run({ images: { dims: [1, 3, 416], data: t } })), 'INFERENCE_FAILED', 'wrong rank');
  });

  test(`${label}: a corrupt or missing model is MODEL_LOAD_FAILED`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gloves-contract-'));
    const bad = join(dir, 'corrupt.onnx');
    writeFileSync(bad, Buffer.from('this is not an onnx model'));
    assert.is(await code(() => backend.load(det, bad)), 'MODEL_LOAD_FAILED');
    assert.is(await code(() => backend.load(det, join(dir, 'missing.onnx'))), 'MODEL_LOAD_FAILED');
  });

  test(`${label}: dispose is idempotent and run afterwards is SESSION_DISPOSED`, async () => {
    const s = await backend.load(det, join(modelsDir, det.file));
    await s.dispose();
    await s.dispose();
    assert.is(await code(() => s.run({ images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416) } })), 'SESSION_DISPOSED');
  });
}

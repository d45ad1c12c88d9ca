/**
 * The detector's hot path runs on the pixel kernels: the addon when it is built,
 * the TypeScript references when it is absent or disabled. Real model, real frames
 * (clip frames and photos): the TypeScript path gives exactly what the reference
 * pipeline (preprocess + run + postprocessDetections) gives, and the native path
 * the same detections up to the kernels' float tolerance.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { loadNativeAddon, type NativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels, defaultKernels } from '../../daemon/src/kernels/kernels.js';
import { createDetector, postprocessDetections } from '../../daemon/src/recognition/detection/detector.js';
import type { Detection } from '../../daemon/src/recognition/types.js';
import { toRgb } from '../../daemon/src/vision/convert.js';
import type { RgbImage } from '../../daemon/src/vision/image.js';
import { preprocess } from '../../daemon/src/vision/preprocess.js';
import { manifestsDir, modelsDir, repoRoot, requireFixtures } from '../helpers/paths.js';
import { clipFrames, photos } from './frames.js';

requireFixtures();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built: run `npm run build:native`');
const manifest = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
const session = await createOnnxRuntimeBackend({ threads: 1 }).load(manifest, join(modelsDir, manifest.file));
const opts = { minScore: 0.3, nmsIou: 0.45, crossClassIou: 0.7, labels: ['cat', 'dog'] as const };
const images: { name: string; img: RgbImage }[] = [
  ...(await clipFrames('RGB', 3)).map((f, i) => ({ name: `clip #${i}`, img: toRgb(f) })),
  ...(await photos()),
];

async function referenceDetect(img: RgbImage): Promise<Detection[]> {
  const { tensor, transform } = preprocess(img, manifest.preprocess, 416, 416);
  const out = (await session.run({ images: { dims: [1, 3, 416, 416], data: tensor } })).output!;
  return postprocessDetections(manifest, out.data, out.dims, transform, img, opts);
}

function assertClose(got: Detection[], want: Detection[], what: string): void {
  assert.is(got.length, want.length, `${what}: count`);
  got.forEach((d, i) => {
    const w = want[i]!;
    assert.is(d.label, w.label, `${what}: label ${i}`);
    assert.ok(Math.abs(d.score - w.score) < 1e-3, `${what}: score ${d.score} vs ${w.score}`);
    d.box.forEach((v, j) => assert.ok(Math.abs(v - w.box[j]!) < 0.05, `${what}: box ${d.box} vs ${w.box}`));
  });
}

test('the process-wide kernels are the addon when built, the TypeScript ones with GLOVES_NATIVE=0', () => {
  assert.is(defaultKernels().impl, 'native');
  assert.is(defaultKernels(), defaultKernels(), 'chosen once per process');
  const probe = "import('./daemon/src/kernels/kernels.ts').then((k) => console.log(k.defaultKernels().impl))";
  const run = (env: NodeJS.ProcessEnv): string =>
    spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }).stdout.trim();
  assert.is(run({ GLOVES_NATIVE: '0' }), 'typescript');
  assert.is(run({ GLOVES_NATIVE: '1' }), 'native');
});

test('with the addon, the detector letterboxes and runs NMS in it, and finds what the reference finds', async () => {
  const calls = { preprocess: 0, nms: 0 };
  const spy: NativeAddon = {
    ...addon,
    preprocess: (j) => (calls.preprocess++, addon.preprocess(j)),
    preprocessAsync: (j) => (calls.preprocess++, addon.preprocessAsync(j)),
    nms: (...a) => (calls.nms++, addon.nms(...a)),
    nmsAsync: (...a) => (calls.nms++, addon.nmsAsync(...a)),
  };
  const detector = createDetector(manifest, session, opts, createKernels(spy));
  let found = 0;
  for (const { name, img } of images) {
    const got = await detector.detect(img);
    assertClose(got, await referenceDetect(img), name);
    found += got.length;
  }
  assert.equal(calls, { preprocess: images.length, nms: images.length });
  assert.ok(found >= images.length, `the frames hold animals (${found} detections)`);
});

test('without the addon, the detector gives exactly the reference pipeline result', async () => {
  const detector = createDetector(manifest, session, opts, createKernels(null));
  for (const { name, img } of images) assert.equal(await detector.detect(img), await referenceDetect(img), name);
});

test('overlapping detect calls (one reused input buffer) give the same results as sequential ones', async () => {
  for (const kernels of [createKernels(addon), createKernels(null)]) {
    const detector = createDetector(manifest, session, opts, kernels);
    const sequential = [];
    for (const { img } of images) sequential.push(await detector.detect(img));
    const overlapped = await Promise.all(images.map(({ img }) => detector.detect(img)));
    assert.equal(overlapped, sequential, kernels.impl);
    assert.equal(await detector.detect(images[0]!.img), sequential[0], `${kernels.impl}: reuse after overlap`);
  }
});

test('a bad frame gives the same typed error on both paths', async () => {
  for (const kernels of [createKernels(addon), createKernels(null)]) {
    const detector = createDetector(manifest, session, opts, kernels);
    try {
      await detector.detect({ width: 10, height: 10, data: new Uint8Array(299) });
      assert.unreachable('accepted a short buffer');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'IMAGE_INVALID', kernels.impl);
    }
  }
});

test.after(async () => {
  await session.dispose();
});

test.run();

/**
 * Parity of the native pixel kernels with the TypeScript references on real
 * frames (the shared clip decoded by GStreamer in RGB, BGR, RGBA and NV12) and
 * the photos. Tolerance: exact (max |diff| = 0) for every format, because the
 * C++ repeats the reference's double arithmetic and is built with
 * -ffp-contract=off. The same checks run against the mock addon.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels, type PixelKernels } from '../../daemon/src/native/kernels.js';
import { createMockAddon } from '../../daemon/src/native/mock.js';
import { readManifest, type PreprocessSpec } from '../../daemon/src/models/manifest.js';
import { rgbToNv12, toRgb } from '../../daemon/src/vision/convert.js';
import type { PixelFormat, PixelImage } from '../../daemon/src/vision/image.js';
import { preprocess, type Region } from '../../daemon/src/vision/preprocess.js';
import { join } from 'node:path';
import { manifestsDir, requireFixtures } from '../helpers/paths.js';
import { clipFrames, fromRgb, maxAbsDiff, photos } from './frames.js';

requireFixtures();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built: run `npm run build:native`');
const native = createKernels(addon);
const mock = createKernels(createMockAddon());
const ts = createKernels(null);
const det = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json')).preprocess;
const emb = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json')).preprocess;
const specs: { name: string; spec: PreprocessSpec; w: number; h: number }[] = [
  { name: 'yolox letterbox top-left BGR 416', spec: det, w: 416, h: 416 },
  { name: 'letterbox centred RGB 320x256 pad 0', spec: { ...det, letterboxAlign: 'center', colorOrder: 'RGB', padValue: 0, scale: 1 / 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7] }, w: 320, h: 256 },
  { name: 'mobilenet stretch RGB 224', spec: emb, w: 224, h: 224 },
  { name: 'stretch odd 97x61 BGR', spec: { ...emb, colorOrder: 'BGR' }, w: 97, h: 61 },
];
const FORMATS: PixelFormat[] = ['RGB', 'BGR', 'RGBA', 'NV12'];

function regionsFor(img: PixelImage): Region[] {
  const { width: W, height: H } = img;
  return [
    { x: 0, y: 0, width: W, height: H },
    { x: 13, y: 7, width: Math.min(151, W - 13), height: Math.min(97, H - 7) },
    { x: W - 33, y: H - 21, width: 33, height: 21 },
    { x: Math.floor(W / 3), y: Math.floor(H / 4), width: 1, height: 5 },
    { x: 5, y: 9, width: 1, height: 1 },
  ];
}

async function expectParity(k: PixelKernels, label: string, img: PixelImage): Promise<number> {
  const regions = regionsFor(img);
  const rgb = toRgb(img);
  let checked = 0;
  for (const { name, spec, w, h } of specs) {
    for (const r of regions) {
      const ref = preprocess(rgb, spec, w, h, r);
      const got = await k.preprocess(img, spec, w, h, r);
      assert.is(maxAbsDiff(got.tensor, ref.tensor), 0, `${label} ${name} region ${JSON.stringify(r)}`);
      assert.equal(got.transform, ref.transform, `${label} ${name} transform`);
      checked++;
    }
    const batch = await k.cropBatch(img, regions, spec, w, h);
    const plane = 3 * w * h;
    regions.forEach((r, i) => {
      const ref = preprocess(rgb, spec, w, h, r).tensor;
      assert.is(maxAbsDiff(batch.tensor.subarray(i * plane, (i + 1) * plane), ref), 0, `${label} ${name} batch slot ${i}`);
    });
  }
  return checked;
}

for (const [kname, k] of [['native', native], ['mock', mock], ['typescript', ts]] as const) {
  test(`${kname}: clip frames in every pixel format match the reference exactly`, async () => {
    let n = 0;
    for (const format of FORMATS) {
      const frames = await clipFrames(format, 2);
      for (const [i, f] of frames.entries()) n += await expectParity(k, `clip ${format} #${i}`, f);
    }
    assert.ok(n >= 4 * 2 * specs.length * 5);
  });

  test(`${kname}: photos in every pixel format match the reference exactly`, async () => {
    for (const { name, img } of await photos()) {
      for (const format of ['RGB', 'BGR', 'RGBA'] as const) await expectParity(k, `${name} ${format}`, fromRgb(img, format));
      await expectParity(k, `${name} NV12`, rgbToNv12(img));
    }
  });
}

test('native writes only its own batch slot and leaves the rest of the buffer alone', async () => {
  const [frame] = await clipFrames('NV12', 1);
  const out = new Float32Array(3 * 64 * 64 * 3 + 5).fill(-7);
  await native.preprocessInto(frame!, emb, 64, 64, out, 3 * 64 * 64, [{ x: 0, y: 0, width: 100, height: 100 }]);
  assert.ok(out.subarray(0, 3 * 64 * 64).every((v) => v === -7));
  assert.ok(out.subarray(2 * 3 * 64 * 64).every((v) => v === -7));
  assert.not.ok(out.subarray(3 * 64 * 64, 2 * 3 * 64 * 64).some((v) => v === -7));
});

test('the kernels report which implementation runs', () => {
  assert.is(native.impl, 'native');
  assert.is(mock.impl, 'native');
  assert.is(ts.impl, 'typescript');
});

test.run();

/**
 * Parity of the native pixel kernels with the TypeScript references on real
 * frames (the shared clip decoded by GStreamer in RGB, BGR, RGBA and NV12) and
 * the photos, for letterbox and stretch, whole frames and crops, single and
 * batched. Native: within the stated tolerance (./tolerance.ts: 1e-3 of an
 * 8-bit level; the C++ blends in float), with identical coordinate transforms.
 * The mock addon and the TypeScript kernels repeat the reference's arithmetic
 * and must match it exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels, type PixelKernels } from '../../daemon/src/kernels/kernels.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { readManifest, type PreprocessSpec } from '../../daemon/src/models/manifest.js';
import { rgbToNv12, toRgb } from '../../daemon/src/vision/convert.js';
import type { PixelFormat, PixelImage } from '../../daemon/src/vision/image.js';
import { preprocess, type Region } from '../../daemon/src/vision/preprocess.js';
import { join } from 'node:path';
import { manifestsDir, requireFixtures } from '../helpers/paths.js';
import { clipFrames, fromRgb, maxAbsDiff, photos } from './frames.js';
import { maxLevelDiff, TOLERANCE_LEVELS } from './tolerance.js';

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
  {
    name: 'letterbox centred RGB 320x256 pad 0',
    spec: { ...det, letterboxAlign: 'center', colorOrder: 'RGB', padValue: 0, scale: 1 / 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7] },
    w: 320,
    h: 256,
  },
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

// Worst native difference seen, in pixel levels, per pixel format (printed at the end).
const worst: Record<string, number> = {};

async function expectParity(k: PixelKernels, label: string, img: PixelImage): Promise<number> {
  const regions = regionsFor(img);
  const rgb = toRgb(img);
  const exact = k !== native;
  const check = (got: Float32Array, ref: Float32Array, spec: PreprocessSpec, w: number, h: number, what: string): void => {
    if (exact) {
      assert.is(maxAbsDiff(got, ref), 0, `${label} ${what} exact`);
      return;
    }
    const d = maxLevelDiff(got, ref, spec, w, h);
    worst[img.format] = Math.max(worst[img.format] ?? 0, d);
    assert.ok(d <= TOLERANCE_LEVELS, `${label} ${what}: ${d} levels > ${TOLERANCE_LEVELS}`);
  };
  let checked = 0;
  for (const { name, spec, w, h } of specs) {
    for (const r of regions) {
      const ref = preprocess(rgb, spec, w, h, r);
      const got = await k.preprocess(img, spec, w, h, r);
      check(got.tensor, ref.tensor, spec, w, h, `${name} region ${JSON.stringify(r)}`);
      assert.equal(got.transform, ref.transform, `${label} ${name} transform`);
      checked++;
    }
    const batch = await k.cropBatch(img, regions, spec, w, h);
    const plane = 3 * w * h;
    regions.forEach((r, i) => {
      const ref = preprocess(rgb, spec, w, h, r).tensor;
      check(batch.tensor.subarray(i * plane, (i + 1) * plane), ref, spec, w, h, `${name} batch slot ${i}`);
    });
  }
  return checked;
}

const within = (k: PixelKernels): string => (k === native ? 'within the stated tolerance' : 'exactly');
for (const [kname, k] of [
  ['native', native],
  ['mock', mock],
  ['typescript', ts],
] as const) {
  test(`${kname}: clip frames in every pixel format match the reference ${within(k)}`, async () => {
    let n = 0;
    for (const format of FORMATS) {
      const frames = await clipFrames(format, 2);
      for (const [i, f] of frames.entries()) n += await expectParity(k, `clip ${format} #${i}`, f);
    }
    assert.ok(n >= 4 * 2 * specs.length * 5);
  });

  test(`${kname}: photos in every pixel format match the reference ${within(k)}`, async () => {
    for (const { name, img } of await photos()) {
      for (const format of ['RGB', 'BGR', 'RGBA'] as const) await expectParity(k, `${name} ${format}`, fromRgb(img, format));
      await expectParity(k, `${name} NV12`, rgbToNv12(img));
    }
  });
}

test('native: every pixel format was checked; the worst differences are far inside the tolerance', () => {
  assert.equal(Object.keys(worst).sort(), [...FORMATS].sort());
  console.log(`  native worst |diff| in 8-bit levels: ${JSON.stringify(worst)} (tolerance ${TOLERANCE_LEVELS})`);
});

test('the tolerance check catches a real difference (0.01 of a level, a swapped channel, a wrong length)', async () => {
  const [frame] = await clipFrames('RGB', 1);
  const ref = preprocess(toRgb(frame!), det, 416, 416).tensor;
  const off = ref.slice();
  off[1234] = off[1234]! + 0.01;
  assert.ok(maxLevelDiff(off, ref, det, 416, 416) > TOLERANCE_LEVELS);
  const swapped = ref.slice();
  swapped.set(ref.subarray(0, 416 * 416), 2 * 416 * 416);
  assert.ok(maxLevelDiff(swapped, ref, det, 416, 416) > 1);
  assert.is(maxLevelDiff(ref.subarray(1), ref, det, 416, 416), Infinity);
  assert.is(maxLevelDiff(ref, ref, det, 416, 416), 0);
});

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

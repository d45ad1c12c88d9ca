/**
 * Motion kernels: native (C++), mock addon and TypeScript reference are
 * bit-identical on real clip frames in every pixel format, give the same
 * coded errors on bad input, and mean what they say on hand-made images.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels, type PixelKernels } from '../../daemon/src/kernels/kernels.js';
import { greyOf, type GreyImage } from '../../daemon/src/kernels/motion.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { GlovesError } from '../../daemon/src/errors.js';
import type { PixelFormat, PixelImage } from '../../daemon/src/vision/image.js';
import { requireFixtures } from '../helpers/paths.js';
import { clipFrames } from './frames.js';

requireFixtures();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built');
const reference = createKernels(null);
const others: [string, PixelKernels][] = [
  ['native', createKernels(addon)],
  ['mock', createKernels(createMockAddon())],
];
const FORMATS: PixelFormat[] = ['RGB', 'BGR', 'RGBA', 'NV12'];
const frames = new Map<PixelFormat, PixelImage[]>();

test.before(async () => {
  for (const f of FORMATS) frames.set(f, await clipFrames(f, 6));
});

test('grey downscale: bit-identical to the reference on clip frames, every format and several factors', async () => {
  for (const f of FORMATS) {
    for (const img of frames.get(f)!.slice(0, 2)) {
      for (const factor of [1, 2, 3, 4, 7, 64]) {
        const want = await reference.greyDownscale(img, factor);
        assert.is(want.width, Math.floor(img.width / factor));
        for (const [name, k] of others) {
          const got = await k.greyDownscale(img, factor);
          assert.equal([got.width, got.height], [want.width, want.height]);
          assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)), `${name} ${f} factor ${factor}`);
        }
      }
    }
  }
});

test('the async path (big frames) gives the same bytes as the sync one, into a reused buffer', async () => {
  const w = 1280;
  const h = 720;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  const img: PixelImage = { format: 'RGB', width: w, height: h, data };
  const want = await reference.greyDownscale(img, 4);
  const out = new Uint8Array(320 * 180);
  const got = await others[0]![1].greyDownscale(img, 4, out);
  assert.ok(got.data === out, 'filled the given buffer');
  assert.ok(Buffer.from(out).equals(Buffer.from(want.data)));
});

test('grey downscale of a hand-made image: luma weights, block mean rounding half up, remainders dropped', async () => {
  // 3x2 RGB, factor 2: one output pixel over the left 2x2 block; column 2 is dropped.
  const px = [
    [255, 0, 0],
    [0, 255, 0],
    [9, 9, 9],
    [0, 0, 255],
    [10, 20, 30],
    [9, 9, 9],
  ];
  const img: PixelImage = { format: 'RGB', width: 3, height: 2, data: Uint8Array.from(px.flat()) };
  const sum = greyOf(255, 0, 0) + greyOf(0, 255, 0) + greyOf(0, 0, 255) + greyOf(10, 20, 30);
  for (const [name, k] of [['typescript', reference] as const, ...others]) {
    const g = await k.greyDownscale(img, 2);
    assert.equal([g.width, g.height, [...g.data]], [1, 1, [Math.floor((sum + 2) / 4)]], name);
  }
  assert.is(greyOf(255, 255, 255), 255);
  assert.is(greyOf(0, 0, 0), 0);
});

test('motion cells: bit-identical on consecutive clip frames for several thresholds and grids', async () => {
  const clip = frames.get('RGB')!;
  const greys: GreyImage[] = [];
  for (const img of clip) greys.push(await reference.greyDownscale(img, 4));
  let moved = 0;
  for (let i = 1; i < greys.length; i++) {
    for (const [threshold, cx, cy] of [
      [0, 1, 1],
      [8, 8, 6],
      [20, 16, 9],
      [3, 160, 84],
    ] as const) {
      const want = reference.motionCells(greys[i - 1]!, greys[i]!, threshold, cx, cy);
      moved += want.reduce((a, b) => a + b, 0);
      for (const [name, k] of others) assert.equal([...k.motionCells(greys[i - 1]!, greys[i]!, threshold, cx, cy)], [...want], name);
    }
  }
  assert.ok(moved > 0, 'the clip moves');
});

test('motion cells of a hand-made change: only the changed cells count, and only above the threshold', () => {
  const w = 8;
  const h = 4;
  const a: GreyImage = { width: w, height: h, data: new Uint8Array(w * h).fill(100) };
  const b: GreyImage = { width: w, height: h, data: a.data.slice() };
  b.data[0 * w + 1] = 111; // cell (0,0): +11
  b.data[3 * w + 7] = 80; // cell (3,1): -20
  b.data[2 * w + 4] = 110; // cell (2,1): +10, not above 10
  for (const [name, k] of [['typescript', reference] as const, ...others]) {
    assert.equal([...k.motionCells(a, b, 10, 4, 2)], [1, 0, 0, 0, 0, 0, 0, 1], name);
    assert.equal([...k.motionCells(a, a, 0, 4, 2)], [0, 0, 0, 0, 0, 0, 0, 0], `${name}: no change`);
  }
});

test('bad input: the same coded error from every path, naming what is wrong', async () => {
  const img: PixelImage = { format: 'RGB', width: 4, height: 4, data: new Uint8Array(48) };
  const g: GreyImage = { width: 4, height: 4, data: new Uint8Array(16) };
  const cases: [string, string, (k: PixelKernels) => unknown][] = [
    ['short image', 'IMAGE_INVALID', (k) => k.greyDownscale({ ...img, data: new Uint8Array(47) }, 2)],
    ['odd NV12', 'IMAGE_INVALID', (k) => k.greyDownscale({ format: 'NV12', width: 3, height: 2, data: new Uint8Array(10) }, 1)],
    ['factor 0', 'SIZE_INVALID', (k) => k.greyDownscale(img, 0)],
    ['factor 1.5', 'SIZE_INVALID', (k) => k.greyDownscale(img, 1.5)],
    ['factor beyond the image', 'SIZE_INVALID', (k) => k.greyDownscale(img, 5)],
    ['wrong out size', 'BUFFER_TOO_SMALL', (k) => k.greyDownscale(img, 2, new Uint8Array(3))],
    ['grey sizes differ', 'IMAGE_INVALID', (k) => k.motionCells(g, { width: 2, height: 8, data: new Uint8Array(16) }, 5, 1, 1)],
    ['short grey', 'IMAGE_INVALID', (k) => k.motionCells(g, { ...g, data: new Uint8Array(15) }, 5, 1, 1)],
    ['threshold 256', 'NATIVE_BAD_ARGUMENT', (k) => k.motionCells(g, g, 256, 1, 1)],
    ['threshold NaN', 'NATIVE_BAD_ARGUMENT', (k) => k.motionCells(g, g, NaN, 1, 1)],
    ['more cells than pixels', 'SIZE_INVALID', (k) => k.motionCells(g, g, 5, 5, 1)],
    ['zero cells', 'SIZE_INVALID', (k) => k.motionCells(g, g, 5, 1, 0)],
  ];
  for (const [what, code, call] of cases) {
    for (const [name, k] of [['typescript', reference] as const, ...others]) {
      let err: unknown;
      try {
        await call(k);
      } catch (e) {
        err = e;
      }
      assert.instance(err, GlovesError, `${name}: ${what} throws`);
      assert.is((err as GlovesError).code, code, `${name}: ${what}`);
    }
  }
});

test('the addon itself re-checks what TypeScript already checked (no memory touched on a bad call)', () => {
  const code = (f: () => void): string | undefined => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  const a = new Uint8Array(16);
  assert.is(
    code(() => addon.motionCells(a, a, 4, 4, 1, 2, 2, new Int32Array(3))),
    'BUFFER_TOO_SMALL',
  );
  assert.is(
    code(() => addon.motionCells(a, new Uint8Array(15), 4, 4, 1, 2, 2, new Int32Array(4))),
    'IMAGE_INVALID',
  );
  assert.is(
    code(() => addon.motionCells(a, a, 4.5, 4, 1, 2, 2, new Int32Array(4))),
    'NATIVE_BAD_ARGUMENT',
  );
  const job = { data: new Uint8Array(48), format: 0, width: 4, height: 4, factor: 2, out: new Uint8Array(5) };
  assert.is(
    code(() => addon.greyDownscale(job)),
    'BUFFER_TOO_SMALL',
  );
  assert.is(
    code(() => addon.greyDownscale({ ...job, factor: 65, out: new Uint8Array(0) })),
    'SIZE_INVALID',
  );
  assert.is(
    code(() => addon.greyDownscale({ ...job, format: 9 })),
    'IMAGE_INVALID',
  );
});

test.run();

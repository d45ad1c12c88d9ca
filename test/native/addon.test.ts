/**
 * The addon loads, reports what it was built with, runs large jobs off the
 * main thread, and the loader falls back (null) when disabled or absent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadNativeAddon, type PreprocessJob } from '../../daemon/src/native/addon.js';
import { createKernels } from '../../daemon/src/kernels/kernels.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { manifestsDir } from '../helpers/paths.js';
import { maxLevelDiff, TOLERANCE_LEVELS } from './tolerance.js';

const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built');

test('info reports the N-API version and what TensorRT/CUDA it was built with', () => {
  const i = addon.info();
  assert.is(i.napiVersion, 8);
  assert.is(i.kernels, true);
  assert.type(i.hasTensorRT, 'boolean');
  if (i.hasTensorRT) {
    assert.match(i.tensorrtVersion!, /^\d+\.\d+\.\d+$/);
    assert.type(i.cudaRuntimeVersion, 'number');
    assert.type(i.namedTensorApi, 'boolean');
    assert.type(addon.buildEngine, 'function');
  } else {
    assert.is(i.tensorrtVersion, null);
    assert.is(i.computeCapability, null);
    assert.is(addon.buildEngine, undefined, 'no TensorRT entry points without TensorRT');
  }
  console.log(`  addon info: ${JSON.stringify(i)}`);
});

test('loader: GLOVES_NATIVE=0 and a missing file give null (TypeScript fallback)', () => {
  assert.is(loadNativeAddon({ env: { GLOVES_NATIVE: '0' } }), null);
  assert.is(loadNativeAddon({ path: '/nonexistent/gloves_native.node', env: {} }), null);
  assert.is(createKernels(null).impl, 'typescript');
});

function bigJob(): PreprocessJob {
  const w = 3840,
    h = 2160;
  const slots: number[] = [];
  for (let i = 0; i < 24; i++) slots.push(0, 0, w, h, 640, 640, 640, 360, 0, 0, i * 3 * 640 * 640);
  return {
    data: new Uint8Array(w * h * 3).fill(128),
    format: 0,
    width: w,
    height: h,
    out: new Float32Array(24 * 3 * 640 * 640),
    slots: Int32Array.from(slots),
    srcCh: [0, 1, 2],
    mul: [1, 1, 1],
    add: [0, 0, 0],
    pad: [114, 114, 114],
  };
}

async function ticksDuring(work: () => Promise<void> | void): Promise<number> {
  let ticks = 0;
  let on = true;
  const spin = (): void => {
    if (!on) return;
    ticks++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const before = ticks;
  await work();
  const during = ticks - before;
  on = false;
  return during;
}

test('large jobs run off the main thread (the event loop keeps turning); sync ones block it', async () => {
  const asyncTicks = await ticksDuring(() => addon.preprocessAsync(bigJob()));
  const syncTicks = await ticksDuring(() => addon.preprocess(bigJob()));
  assert.is(syncTicks, 0, 'a sync call blocks the loop, so the probe can tell');
  assert.ok(asyncTicks > 0, `event loop turned ${asyncTicks} times during the async job`);
});

test('kernels pick the async path for a frame-sized job and it matches the reference within tolerance', async () => {
  const spec = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json')).preprocess;
  const data = new Uint8Array(640 * 360 * 3).map((_, i) => (i * 31) & 255);
  const img = { format: 'RGB' as const, width: 640, height: 360, data };
  const calls = { sync: 0, async: 0 };
  const spy = {
    ...addon,
    preprocess: (j: PreprocessJob) => (calls.sync++, addon.preprocess(j)),
    preprocessAsync: (j: PreprocessJob) => (calls.async++, addon.preprocessAsync(j)),
  };
  const k = createKernels(spy);
  const a = await k.preprocess(img, spec, 416, 416);
  assert.equal(calls, { sync: 0, async: 1 }, 'a 416x416 frame goes to the pool');
  await k.preprocess(img, spec, 32, 32);
  assert.equal(calls, { sync: 1, async: 1 }, 'a 32x32 crop runs inline');
  const b = await createKernels(null).preprocess(img, spec, 416, 416);
  assert.ok(maxLevelDiff(a.tensor, b.tensor, spec, 416, 416) <= TOLERANCE_LEVELS);
});

test.run();

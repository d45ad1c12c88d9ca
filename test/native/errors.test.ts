/**
 * Bad input gives a typed error with a stable code, never a crash: through the
 * kernels API (native, mock and TypeScript paths give the same codes) and
 * straight into the raw addon (its own defensive checks, bypassing TS validation).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { GlovesError } from '../../daemon/src/errors.js';
import { loadNativeAddon, type NativeAddon, type PreprocessJob } from '../../daemon/src/native/addon.js';
import { createKernels } from '../../daemon/src/kernels/kernels.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import type { PixelImage } from '../../daemon/src/vision/image.js';
import { manifestsDir } from '../helpers/paths.js';

const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built');
const spec = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json')).preprocess;
const rgb = (w: number, h: number): PixelImage => ({ format: 'RGB', width: w, height: h, data: new Uint8Array(w * h * 3).fill(90) });

async function code(p: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await p();
  } catch (err) {
    assert.instance(err, GlovesError, 'a GlovesError');
    return (err as GlovesError).code;
  }
  return 'NO_ERROR';
}

const cases: { name: string; code: string; run: (k: ReturnType<typeof createKernels>) => Promise<unknown> }[] = [
  {
    name: 'odd NV12 size',
    code: 'IMAGE_INVALID',
    run: (k) => k.preprocess({ format: 'NV12', width: 33, height: 20, data: new Uint8Array(33 * 20 + 2 * 17 * 10) }, spec, 8, 8),
  },
  {
    name: 'wrong buffer length',
    code: 'IMAGE_INVALID',
    run: (k) => k.preprocess({ format: 'RGBA', width: 10, height: 10, data: new Uint8Array(300) }, spec, 8, 8),
  },
  {
    name: 'zero-sized image',
    code: 'IMAGE_INVALID',
    run: (k) => k.preprocess({ format: 'RGB', width: 0, height: 10, data: new Uint8Array(0) }, spec, 8, 8),
  },
  { name: 'fractional output size', code: 'SIZE_INVALID', run: (k) => k.preprocess(rgb(10, 10), spec, 8.5, 8) },
  { name: 'zero output size', code: 'SIZE_INVALID', run: (k) => k.preprocess(rgb(10, 10), spec, 0, 8) },
  {
    name: 'zero-sized box',
    code: 'REGION_INVALID',
    run: (k) => k.cropBatch(rgb(10, 10), [{ x: 2, y: 2, width: 0, height: 3 }], spec, 8, 8),
  },
  {
    name: 'negative-sized box',
    code: 'REGION_INVALID',
    run: (k) => k.cropBatch(rgb(10, 10), [{ x: 2, y: 2, width: 3, height: -1 }], spec, 8, 8),
  },
  {
    name: 'fractional box',
    code: 'REGION_INVALID',
    run: (k) => k.cropBatch(rgb(10, 10), [{ x: 0.5, y: 2, width: 3, height: 3 }], spec, 8, 8),
  },
  {
    name: 'box outside the frame',
    code: 'REGION_OUTSIDE',
    run: (k) => k.cropBatch(rgb(10, 10), [{ x: 8, y: 2, width: 3, height: 3 }], spec, 8, 8),
  },
  {
    name: 'box at negative origin',
    code: 'REGION_OUTSIDE',
    run: (k) => k.cropBatch(rgb(10, 10), [{ x: -1, y: 0, width: 3, height: 3 }], spec, 8, 8),
  },
  { name: 'no boxes', code: 'REGION_INVALID', run: (k) => k.cropBatch(rgb(10, 10), [], spec, 8, 8) },
  {
    name: 'output buffer too small',
    code: 'BUFFER_TOO_SMALL',
    run: (k) => k.preprocessInto(rgb(10, 10), spec, 8, 8, new Float32Array(100), 0, [{ x: 0, y: 0, width: 10, height: 10 }]),
  },
  {
    name: 'offset past the end',
    code: 'BUFFER_TOO_SMALL',
    run: (k) => k.preprocessInto(rgb(10, 10), spec, 8, 8, new Float32Array(192), 1, [{ x: 0, y: 0, width: 10, height: 10 }]),
  },
  { name: 'nms length mismatch', code: 'NMS_INVALID', run: (k) => k.nms([[0, 0, 1, 1]], [0.5, 0.4], [0], 0.5) },
  { name: 'nms NaN score', code: 'NMS_INVALID', run: (k) => k.nms([[0, 0, 1, 1]], [NaN], [0], 0.5) },
];

for (const [kname, k] of [
  ['native', createKernels(addon)],
  ['mock', createKernels(createMockAddon())],
  ['typescript', createKernels(null)],
] as const) {
  test(`${kname}: each bad input gives its typed error`, async () => {
    for (const c of cases) assert.is(await code(() => c.run(k)), c.code, c.name);
  });
}

// Raw calls skip the TS validation: the addon itself must refuse, with a code, not crash.
function goodJob(): PreprocessJob {
  return {
    data: new Uint8Array(10 * 10 * 3),
    format: 0,
    width: 10,
    height: 10,
    out: new Float32Array(3 * 8 * 8),
    slots: Int32Array.from([0, 0, 10, 10, 8, 8, 8, 8, 0, 0, 0]),
    srcCh: [0, 1, 2],
    mul: [1, 1, 1],
    add: [0, 0, 0],
    pad: [0, 0, 0],
  };
}
const raw: { name: string; code: string; job: (j: PreprocessJob) => unknown }[] = [
  { name: 'data length', code: 'IMAGE_INVALID', job: (j) => ({ ...j, data: new Uint8Array(299) }) },
  { name: 'odd NV12', code: 'IMAGE_INVALID', job: (j) => ({ ...j, format: 3, width: 9, data: new Uint8Array(9 * 10 + 2 * 5 * 5) }) },
  { name: 'unknown format', code: 'IMAGE_INVALID', job: (j) => ({ ...j, format: 7 }) },
  { name: 'huge width', code: 'IMAGE_INVALID', job: (j) => ({ ...j, width: 2 ** 31 }) },
  { name: 'zero region', code: 'REGION_INVALID', job: (j) => ({ ...j, slots: Int32Array.from([0, 0, 0, 10, 8, 8, 8, 8, 0, 0, 0]) }) },
  { name: 'region outside', code: 'REGION_OUTSIDE', job: (j) => ({ ...j, slots: Int32Array.from([5, 0, 10, 10, 8, 8, 8, 8, 0, 0, 0]) }) },
  {
    name: 'content larger than output',
    code: 'SIZE_INVALID',
    job: (j) => ({ ...j, slots: Int32Array.from([0, 0, 10, 10, 8, 8, 8, 8, 1, 0, 0]) }),
  },
  { name: 'out too small', code: 'BUFFER_TOO_SMALL', job: (j) => ({ ...j, out: new Float32Array(10) }) },
  {
    name: 'negative offset',
    code: 'BUFFER_TOO_SMALL',
    job: (j) => ({ ...j, slots: Int32Array.from([0, 0, 10, 10, 8, 8, 8, 8, 0, 0, -3]) }),
  },
  { name: 'slots not a multiple of 11', code: 'NATIVE_BAD_ARGUMENT', job: (j) => ({ ...j, slots: new Int32Array(10) }) },
  { name: 'data not a Uint8Array', code: 'NATIVE_BAD_ARGUMENT', job: (j) => ({ ...j, data: new Uint16Array(300) }) },
  { name: 'mean not finite', code: 'NATIVE_BAD_ARGUMENT', job: (j) => ({ ...j, add: [0, NaN, 0] }) },
  { name: 'srcCh out of range', code: 'NATIVE_BAD_ARGUMENT', job: (j) => ({ ...j, srcCh: [0, 1, 3] }) },
  { name: 'not an object', code: 'NATIVE_BAD_ARGUMENT', job: () => 42 },
];

function rawCode(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'NO_ERROR';
}

for (const [aname, a] of [
  ['native', addon],
  ['mock', createMockAddon()],
] as [string, NativeAddon][]) {
  test(`${aname} raw addon: a good job succeeds`, async () => {
    const j = goodJob();
    j.data.fill(200);
    a.preprocess(j);
    assert.ok(j.out.every((v) => v === 200));
    const j2 = goodJob();
    j2.data.fill(100);
    await a.preprocessAsync(j2);
    assert.ok(j2.out.every((v) => v === 100));
  });
}

test('native raw addon: each bad job is refused with its code, sync and async', async () => {
  for (const r of raw) {
    const job = r.job(goodJob()) as PreprocessJob;
    assert.is(
      rawCode(() => addon.preprocess(job)),
      r.code,
      `sync ${r.name}`,
    );
    assert.is(
      rawCode(() => addon.preprocessAsync(job)),
      r.code,
      `async ${r.name} (validated before queueing)`,
    );
  }
});

test('native raw addon: nms refuses bad arrays with a code', () => {
  const b = Float64Array.from([0, 0, 1, 1]);
  assert.is(
    rawCode(() => addon.nms(b, Float64Array.from([1, 2]), Int32Array.from([0, 0]), 0.5)),
    'NMS_INVALID',
  );
  assert.is(
    rawCode(() => addon.nms(b, Float64Array.from([NaN]), Int32Array.from([0]), 0.5)),
    'NMS_INVALID',
  );
  assert.is(
    rawCode(() => addon.nms(b, Float64Array.from([1]), Float64Array.from([0]) as unknown as Int32Array, 0.5)),
    'NATIVE_BAD_ARGUMENT',
  );
  assert.is(
    rawCode(() => addon.nms(b, Float64Array.from([1]), Int32Array.from([0]), NaN)),
    'NATIVE_BAD_ARGUMENT',
  );
  assert.is(
    rawCode(() => (addon.nms as unknown as () => unknown)()),
    'NATIVE_BAD_ARGUMENT',
  );
});

test.run();

/**
 * Native vs TypeScript pixel kernels, printed as JSON:
 * - letterbox: 640x360 RGB frame -> 416x416 NCHW (the YOLOX detector input), frames/s, through the
 *   kernels API (new tensor per frame) and for the kernel alone (reused buffer);
 * - crops: 8 boxes per call -> 224x224 stretch (the embedder input), crops/s;
 * - detect: end-to-end frames/s (letterbox + onnxruntime YOLOX + decode/NMS) with the
 *   native kernels and with the TypeScript ones.
 * usage: node --import tsx bench/native-kernels.ts [seconds per measurement, default 3]
 */
import { join } from 'node:path';
import { createOnnxRuntimeBackend } from '../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../daemon/src/models/manifest.js';
import { loadNativeAddon } from '../daemon/src/native/addon.js';
import { createKernels, type PixelKernels } from '../daemon/src/native/kernels.js';
import { postprocessDetections } from '../daemon/src/recognition/detector.js';
import { decodeImageFile } from '../daemon/src/vision/decode.js';
import type { PixelImage } from '../daemon/src/vision/image.js';
import { preprocess, preprocessInto, type Region } from '../daemon/src/vision/preprocess.js';
import { normFor, packSlots } from '../daemon/src/native/geometry.js';
import { packageRoot } from '../daemon/src/util/paths.js';

const seconds = Number(process.argv[2] ?? 3);
const root = packageRoot();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built: npm run build:native');
const det = readManifest(join(root, 'models', 'yolox_nano_416_coco.json'));
const emb = readManifest(join(root, 'models', 'mobilenetv2-12-int8_pooled.json'));

async function rate(fn: () => unknown, perCall = 1): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return Math.round(((n * perCall) / ((performance.now() - t0) / 1000)) * 10) / 10;
}

// A real photo scaled to a 640x360 frame.
const photo = await decodeImageFile(join(root, '.fixtures', 'multi', 'two_cats_window.jpg'));
const sharp = (await import('sharp')).default;
const raw = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).resize(640, 360, { fit: 'fill' }).raw().toBuffer();
const frame: PixelImage = { format: 'RGB', width: 640, height: 360, data: new Uint8Array(raw) };
const rgb = { width: 640, height: 360, data: frame.data };
const native = createKernels(addon);
const ts = createKernels(null);

const letterboxTs = await rate(() => preprocess(rgb, det.preprocess, 416, 416));
// The kernel alone: both write into one reused buffer (no 2 MB allocation per frame), native called sync.
const reuse = new Float32Array(3 * 416 * 416);
const whole: Region = { x: 0, y: 0, width: 640, height: 360 };
const intoTs = await rate(() => preprocessInto(rgb, det.preprocess, 416, 416, reuse, 0, whole));
const { slots } = packSlots(det.preprocess, 416, 416, [whole], 0);
const rawJob = { data: frame.data, format: 0, width: 640, height: 360, out: reuse, slots, ...normFor(det.preprocess) };
const intoNative = await rate(() => addon.preprocess(rawJob));
const letterboxNative = await rate(() => native.preprocess(frame, det.preprocess, 416, 416));
const boxes: Region[] = Array.from({ length: 8 }, (_, i) => ({ x: 20 + i * 60, y: 10 + i * 25, width: 120 + i * 5, height: 150 - i * 8 }));
const cropsTs = await rate(() => ts.cropBatch(frame, boxes, emb.preprocess, 224, 224), boxes.length);
const cropsNative = await rate(() => native.cropBatch(frame, boxes, emb.preprocess, 224, 224), boxes.length);

const session = await createOnnxRuntimeBackend({ threads: 1 }).load(det, join(root, '.models', det.file));
const opts = { minScore: 0.3, nmsIou: 0.45, labels: ['cat', 'dog'] as const };
const detect = (k: PixelKernels) => async () => {
  const { tensor, transform } = await k.preprocess(frame, det.preprocess, 416, 416);
  const out = (await session.run({ images: { dims: [1, 3, 416, 416], data: tensor } })).output!;
  return postprocessDetections(det, out.data, out.dims, transform, frame, opts);
};
const cats = (await detect(native)()).length;
const detectNative = await rate(detect(native));
const detectTs = await rate(detect(ts));
await session.dispose();

console.log(
  JSON.stringify(
    {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version, secondsPerMeasurement: seconds },
      letterbox_640x360_to_416x416: { nativeFps: letterboxNative, typescriptFps: letterboxTs, speedup: Math.round((letterboxNative / letterboxTs) * 10) / 10 },
      letterbox_kernel_only_reused_buffer: { nativeFps: intoNative, typescriptFps: intoTs, speedup: Math.round((intoNative / intoTs) * 10) / 10 },
      crops_224x224_batch8: { nativeCropsPerS: cropsNative, typescriptCropsPerS: cropsTs, speedup: Math.round((cropsNative / cropsTs) * 10) / 10 },
      detect_end_to_end_onnxruntime_1thread: { withAddonFps: detectNative, withoutAddonFps: detectTs, detectionsInFrame: cats },
    },
    null,
    2,
  ),
);

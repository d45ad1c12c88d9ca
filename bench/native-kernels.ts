/**
 * Native vs TypeScript pixel kernels, printed as JSON:
 * - letterbox: 640x360 RGB frame -> 416x416 NCHW (the YOLOX detector input), frames/s:
 *   through the kernels API into a reused tensor (what the detector does), through the
 *   kernels API with a fresh tensor per frame, and the bare kernels (raw addon call vs
 *   the reference function) into a reused buffer; plus the same letterbox from NV12;
 * - crops: 8 boxes per call -> 224x224 stretch (the embedder input), crops/s, as a fresh
 *   batch tensor (cropBatch) and into a reused batch buffer;
 * - detect: end-to-end frames/s through the real recognition detector (createDetector:
 *   letterbox + onnxruntime YOLOX, 1 thread + decode + NMS) with the addon's kernels and
 *   with the TypeScript ones, on the same session.
 * The machine is shared, so native and TypeScript are measured in alternating slices,
 * `rounds` times; each figure is the median over rounds, and each speedup the median of
 * the per-round ratios. cpuUsPerOp is process CPU time (all threads) per frame or crop,
 * which load from other processes inflates less than wall time.
 * usage: node --import tsx bench/native-kernels.ts [seconds per slice, default 1] [rounds, default 5]
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createOnnxRuntimeBackend } from '../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../daemon/src/models/manifest.js';
import { loadNativeAddon } from '../daemon/src/native/addon.js';
import { normFor, packSlots } from '../daemon/src/kernels/geometry.js';
import { createKernels } from '../daemon/src/kernels/kernels.js';
import { createDetector } from '../daemon/src/recognition/detection/detector.js';
import { rgbToNv12 } from '../daemon/src/vision/convert.js';
import { decodeImageFile } from '../daemon/src/vision/decode.js';
import type { PixelImage } from '../daemon/src/vision/image.js';
import { preprocessInto, type Region } from '../daemon/src/vision/preprocess.js';
import { packageRoot } from '../daemon/src/util/paths.js';
import { median } from './support/stats.js';

const seconds = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 5);
const root = packageRoot();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built: npm run build:native');
const det = readManifest(join(root, 'models', 'yolox_nano_416_coco.json'));
const emb = readManifest(join(root, 'models', 'mobilenetv2-12-int8_pooled.json'));
const native = createKernels(addon);
const ts = createKernels(null);

interface Sample {
  perS: number;
  cpuUs: number;
}

/** Ops per second (wall) and process CPU µs per op over one slice of `seconds`. */
async function slice(fn: () => unknown, perCall: number): Promise<Sample> {
  for (let i = 0; i < 2; i++) await fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { perS: (n * perCall) / wall, cpuUs: (cpu.user + cpu.system) / (n * perCall) };
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/** Native and TypeScript variants of one workload, measured in alternating slices. */
async function compare(nativeFn: () => unknown, tsFn: () => unknown, perCall = 1) {
  const n: Sample[] = [];
  const t: Sample[] = [];
  for (let r = 0; r < rounds; r++) {
    n.push(await slice(nativeFn, perCall));
    t.push(await slice(tsFn, perCall));
  }
  return {
    nativePerS: r1(median(n.map((s) => s.perS))),
    typescriptPerS: r1(median(t.map((s) => s.perS))),
    speedup: r1(median(n.map((s, i) => s.perS / t[i]!.perS))),
    nativeCpuUsPerOp: r1(median(n.map((s) => s.cpuUs))),
    typescriptCpuUsPerOp: r1(median(t.map((s) => s.cpuUs))),
    cpuSpeedup: r1(median(n.map((s, i) => t[i]!.cpuUs / s.cpuUs))),
  };
}

// A real photo scaled to a 640x360 frame.
const photo = await decodeImageFile(join(root, '.fixtures', 'multi', 'two_cats_window.jpg'));
const sharp = (await import('sharp')).default;
const raw = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
  .resize(640, 360, { fit: 'fill' })
  .raw()
  .toBuffer();
const frame: PixelImage = { format: 'RGB', width: 640, height: 360, data: new Uint8Array(raw) };
const rgb = { width: 640, height: 360, data: frame.data };
const nv12 = rgbToNv12(rgb);
const whole: Region = { x: 0, y: 0, width: 640, height: 360 };
const lb = det.preprocess;
const reuseN = new Float32Array(3 * 416 * 416);
const reuseT = new Float32Array(3 * 416 * 416);

const letterboxReused = await compare(
  () => native.preprocessInto(frame, lb, 416, 416, reuseN, 0, [whole]),
  () => ts.preprocessInto(frame, lb, 416, 416, reuseT, 0, [whole]),
);
const letterboxFresh = await compare(
  () => native.preprocess(frame, lb, 416, 416),
  () => ts.preprocess(frame, lb, 416, 416),
);
const { slots } = packSlots(lb, 416, 416, [whole], 0);
const rawJob = { data: frame.data, format: 0, width: 640, height: 360, out: reuseN, slots, ...normFor(lb) };
const letterboxKernelOnly = await compare(
  () => addon.preprocess(rawJob),
  () => preprocessInto(rgb, lb, 416, 416, reuseT, 0, whole),
);
const letterboxNv12 = await compare(
  () => native.preprocessInto(nv12, lb, 416, 416, reuseN, 0, [whole]),
  () => ts.preprocessInto(nv12, lb, 416, 416, reuseT, 0, [whole]),
);

const boxes: Region[] = Array.from({ length: 8 }, (_, i) => ({ x: 20 + i * 60, y: 10 + i * 25, width: 120 + i * 5, height: 150 - i * 8 }));
const cropsFresh = await compare(
  () => native.cropBatch(frame, boxes, emb.preprocess, 224, 224),
  () => ts.cropBatch(frame, boxes, emb.preprocess, 224, 224),
  boxes.length,
);
const batchN = new Float32Array(boxes.length * 3 * 224 * 224);
const batchT = new Float32Array(boxes.length * 3 * 224 * 224);
const cropsReused = await compare(
  () => native.preprocessInto(frame, emb.preprocess, 224, 224, batchN, 0, boxes),
  () => ts.preprocessInto(frame, emb.preprocess, 224, 224, batchT, 0, boxes),
  boxes.length,
);

// End to end through the real detector; both detectors share one onnxruntime session.
const session = await createOnnxRuntimeBackend({ threads: 1 }).load(det, join(root, '.models', det.file));
const opts = { minScore: 0.3, nmsIou: 0.45, crossClassIou: 0.7, labels: ['cat', 'dog'] as const };
const withAddon = createDetector(det, session, opts, native);
const withoutAddon = createDetector(det, session, opts, ts);
const detections = { withAddon: (await withAddon.detect(rgb)).length, withoutAddon: (await withoutAddon.detect(rgb)).length };
const detect = await compare(
  () => withAddon.detect(rgb),
  () => withoutAddon.detect(rgb),
);
await session.dispose();

const rename = (c: Awaited<ReturnType<typeof compare>>, unit: string) =>
  Object.fromEntries(
    Object.entries(c).map(([k, v]) => [k.replace('PerS', unit).replace('PerOp', unit === 'Fps' ? 'PerFrame' : 'PerCrop'), v]),
  );

console.log(
  JSON.stringify(
    {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        secondsPerSlice: seconds,
        rounds,
        addonInfo: { hasTensorRT: addon.info().hasTensorRT },
      },
      letterbox_640x360_rgb_to_416x416_reused_tensor: rename(letterboxReused, 'Fps'),
      letterbox_640x360_rgb_to_416x416_fresh_tensor: rename(letterboxFresh, 'Fps'),
      letterbox_kernel_only_raw_addon_vs_reference_fn: rename(letterboxKernelOnly, 'Fps'),
      letterbox_640x360_nv12_to_416x416_reused_tensor: rename(letterboxNv12, 'Fps'),
      crops_8x_to_224x224_fresh_batch: rename(cropsFresh, 'CropsPerS'),
      crops_8x_to_224x224_reused_batch: rename(cropsReused, 'CropsPerS'),
      detect_end_to_end_recognition_detector_onnxruntime_1thread: {
        ...Object.fromEntries(
          Object.entries(detect).map(([k, v]) => [
            k.replace('native', 'withAddon').replace('typescript', 'withoutAddon').replace('PerS', 'Fps').replace('PerOp', 'PerFrame'),
            v,
          ]),
        ),
        detections,
      },
    },
    null,
    2,
  ),
);

/**
 * Does overlapping stages help? Detection of frame N+1 while frame N is
 * embedded, measured three ways on the clip's frames, each for --seconds:
 * - sequential: detect, then embed the detections (what the daemon does);
 * - promise_all: the next detection and this embedding started together on the
 *   main thread (onnxruntime-node's run() computes synchronously on the calling
 *   thread, so they serialize: the event loop is blocked while a model runs;
 *   main_thread_blocked_ms is the longest timer delay seen during one run);
 * - worker: the detector's session in a worker thread, the embedder on the main
 *   thread, frame N+1 detected while frame N is embedded.
 * Every crop is embedded on every frame here (the schedule's worst case: all tracks new).
 *
 * usage: node --import tsx bench/overlap.ts [--seconds S=8] [--threads T=2]
 * Prints one JSON object: frames/s of each way, the speedup of the worker over sequential.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../daemon/src/config/load.js';
import { createBackend } from '../daemon/src/inference/select.js';
import { silentLogger } from '../daemon/src/log/logger.js';
import { defaultKernels } from '../daemon/src/kernels/kernels.js';
import { inputSize, loadModels, packagePath, postprocessDetections, type Detection } from '../daemon/src/recognition/index.js';
import type { RgbImage } from '../daemon/src/vision/image.js';
import type { Transform } from '../daemon/src/vision/preprocess.js';
import { clipFrames } from '../test/native/frames.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const seconds = opt('seconds', 8);
const threads = opt('threads', 2);
const config = loadConfig({ overrides: { 'inference.threads': threads } });
const log = silentLogger();
const models = await loadModels(config, createBackend(config.inference, log), log);
const dm = models.detectorManifest;
const [w, h] = inputSize(dm);
const frames: RgbImage[] = (await clipFrames('RGB', 24)).map(({ width, height, data }) => ({ width, height, data }));
const opts = {
  minScore: config.detection.minScore,
  nmsIou: config.detection.nmsIou,
  crossClassIou: config.detection.crossClassIou,
  labels: config.detection.labels,
};

/** Letterboxed detector input of a frame. */
async function letterbox(img: RgbImage): Promise<{ data: Float32Array; t: Transform }> {
  const data = new Float32Array(3 * w * h);
  const [t] = await defaultKernels().preprocessInto({ format: 'RGB', ...img }, dm.preprocess, w, h, data, 0, [
    { x: 0, y: 0, width: img.width, height: img.height },
  ]);
  return { data, t: t! };
}

const embed = (img: RgbImage, dets: Detection[]): Promise<unknown> =>
  dets.length
    ? models.embedder.embed(
        img,
        dets.map((d) => d.box),
      )
    : Promise.resolve();

async function timed(run: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await run(i);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) await run(3 + n++);
  return Math.round((n / ((performance.now() - t0) / 1000)) * 10) / 10;
}

// 1. Sequential.
const sequential = await timed(async (i) => {
  const img = frames[i % frames.length]!;
  await embed(img, await models.detector.detect(img));
});

// 2. Both on the main thread at once, and how long one run blocks the event loop.
let pending: Promise<Detection[]> | null = null;
const promiseAll = await timed(async (i) => {
  const img = frames[i % frames.length]!;
  const dets = await (pending ?? models.detector.detect(img));
  pending = models.detector.detect(frames[(i + 1) % frames.length]!);
  await embed(img, dets);
});
await pending;
let worst = 0;
let last = performance.now();
const tick = setInterval(() => {
  worst = Math.max(worst, performance.now() - last);
  last = performance.now();
}, 1);
for (let i = 0; i < 10; i++) await models.detector.detect(frames[i]!);
clearInterval(tick);

// 3. Detector in a worker thread.
const worker = new Worker(new URL('./support/ort-worker.mjs', import.meta.url), {
  workerData: { file: join(packagePath(config.models.dir), dm.file), threads, input: dm.inputs[0]!.name, output: dm.outputs[0]!.name },
});
await new Promise((r) => worker.once('message', r));
const detectInWorker = async (img: RgbImage): Promise<Detection[]> => {
  const { data, t } = await letterbox(img);
  worker.postMessage({ data, dims: [1, 3, h, w] }, [data.buffer as ArrayBuffer]);
  const out = await new Promise<{ data: Float32Array; dims: number[] }>((r) => worker.once('message', r));
  return postprocessDetections(dm, out.data, out.dims, t, img, opts);
};
let next: Promise<Detection[]> | null = null;
const inWorker = await timed(async (i) => {
  const img = frames[i % frames.length]!;
  const dets = await (next ?? detectInWorker(img));
  next = detectInWorker(frames[(i + 1) % frames.length]!);
  await embed(img, dets);
});
await next;
worker.postMessage('close');
await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
console.log(
  JSON.stringify({
    threads,
    fps: { sequential, promise_all: promiseAll, worker: inWorker },
    worker_speedup: Math.round((inWorker / sequential) * 100) / 100,
    main_thread_blocked_ms: Math.round(worst),
  }),
);
process.exit(0);

/**
 * The bare detector: YOLOX-nano inferences per second on one preprocessed clip
 * frame (session.run only: no letterbox, decoding or NMS), and the detector as
 * the pipeline calls it (letterbox + run + decode + NMS) on the clip's frames.
 * The ceiling the pipeline is compared with (bench/index.ts: pipeline_efficiency).
 *
 * usage: node --import tsx bench/detector.ts [--seconds S=5] [--threads T=2]
 * Prints one JSON object on stdout: detector_fps, detect_fps, ms {run_p50, detect_p50}.
 */
import { join } from 'node:path';
import { loadConfig } from '../daemon/src/config/load.js';
import { createBackend } from '../daemon/src/inference/select.js';
import { silentLogger } from '../daemon/src/log/logger.js';
import { inputSize, loadModels, packagePath } from '../daemon/src/recognition/index.js';
import { defaultKernels } from '../daemon/src/kernels/kernels.js';
import { clipFrames } from '../test/native/frames.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const seconds = opt('seconds', 5);
const threads = opt('threads', 2);

const config = loadConfig({ overrides: { 'inference.threads': threads } });
const log = silentLogger();
const backend = createBackend(config.inference, log);
const models = await loadModels(config, backend, log);
const dm = models.detectorManifest;
const [w, h] = inputSize(dm);
const session = await backend.load(dm, join(packagePath(config.models.dir), dm.file), { threads });
const frames = (await clipFrames('RGB', 16)).map(({ width, height, data }) => ({ width, height, data }));
const tensor = new Float32Array(3 * w * h);
await defaultKernels().preprocessInto({ format: 'RGB', ...frames[0]! }, dm.preprocess, w, h, tensor, 0, [
  { x: 0, y: 0, width: frames[0]!.width, height: frames[0]!.height },
]);
const feeds = { [dm.inputs[0]!.name]: { dims: [1, 3, h, w], data: tensor } };

const median = (xs: number[]): number => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 100) / 100;

/** Runs `once` for `s` seconds after 5 warm-up calls; calls/s and per-call ms. */
async function rate(s: number, once: (i: number) => Promise<unknown>): Promise<{ fps: number; ms: number[] }> {
  for (let i = 0; i < 5; i++) await once(i);
  const ms: number[] = [];
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < s * 1000; i++) {
    const t = performance.now();
    await once(i);
    ms.push(performance.now() - t);
  }
  return { fps: ms.length / ((performance.now() - t0) / 1000), ms };
}

const bare = await rate(seconds, () => session.run(feeds));
const full = await rate(seconds, (i) => models.detector.detect(frames[i % frames.length]!));
await Promise.all([session.dispose(), models.detector.dispose(), models.embedder.dispose()]);
console.log(
  JSON.stringify({
    threads,
    backend: session.backend,
    input: `${w}x${h}`,
    detector_fps: Math.round(bare.fps * 10) / 10,
    detect_fps: Math.round(full.fps * 10) / 10,
    ms: { run_p50: median(bare.ms), detect_p50: median(full.ms) },
  }),
);

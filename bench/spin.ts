/**
 * Does onnxruntime's spin-waiting pay on this machine? The detector session
 * with its intra-op threads spinning or blocking while idle, each run followed
 * by `--busy` ms of JavaScript on the main thread (the rest of a frame's work),
 * for --seconds each: runs per second, and CPU milliseconds per run (all
 * threads). A spinning pool thread keeps its core while the main thread works,
 * which the GStreamer threads, the other session and other processes then lack.
 *
 * usage: node --import tsx bench/spin.ts [--seconds S=4] [--busy MS=8] [--threads T=2]
 * Prints one JSON object: per setting {fps, run_ms, cpu_ms_per_run, cpu_s_by_thread}, and the load average.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../daemon/src/config/load.js';
import { ortSessionOptions } from '../daemon/src/inference/ort-common.js';
import { defaultKernels } from '../daemon/src/kernels/kernels.js';
import { findManifest } from '../daemon/src/models/manifest.js';
import { inputSize, packagePath } from '../daemon/src/recognition/index.js';
import { clipFrames } from '../test/native/frames.js';
import { threadCpuDelta, threadSnapshot } from './support/thread-cpu.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const seconds = opt('seconds', 4);
const busy = opt('busy', 8);
const threads = opt('threads', 2);

const config = loadConfig({});
const dm = findManifest(packagePath(config.models.manifestDir), config.models.detector);
const [w, h] = inputSize(dm);
const [frame] = (await clipFrames('RGB', 1)).map(({ width, height, data }) => ({ width, height, data }));
const tensor = new Float32Array(3 * w * h);
await defaultKernels().preprocessInto({ format: 'RGB', ...frame! }, dm.preprocess, w, h, tensor, 0, [
  { x: 0, y: 0, width: frame!.width, height: frame!.height },
]);
const file = join(packagePath(config.models.dir), dm.file);

const results: Record<string, unknown> = {};
for (const spinning of [true, false]) {
  const s = await ort.InferenceSession.create(file, ortSessionOptions(threads, spinning));
  const feeds = { [dm.inputs[0]!.name]: new ort.Tensor('float32', tensor, [1, 3, h, w]) };
  for (let i = 0; i < 5; i++) await s.run(feeds);
  const cpu0 = process.cpuUsage();
  const th0 = threadSnapshot();
  const t0 = performance.now();
  let n = 0;
  let runMs = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const a = performance.now();
    await s.run(feeds);
    runMs += performance.now() - a;
    const end = performance.now() + busy;
    while (performance.now() < end);
    n++;
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  results[spinning ? 'spinning' : 'blocking'] = {
    fps: Math.round((n / wall) * 10) / 10,
    run_ms: Math.round((runMs / n) * 10) / 10,
    cpu_ms_per_run: Math.round(((c.user + c.system) / 1e3 / n) * 10) / 10,
    cpu_s_by_thread: threadCpuDelta(th0, threadSnapshot(), process.pid),
  };
  await s.release();
}
console.log(JSON.stringify({ threads, busy_ms: busy, ...results, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 }));
process.exit(0);

/**
 * Frame-source throughput: frames/s delivered by createFrameSource with a
 * consumer that only takes frames (no inference), not paced (realtime=false).
 * Prints one JSON object. The clip loops so every case runs for --seconds.
 *
 * usage: UV_THREADPOOL_SIZE=16 node --import tsx bench/camera-throughput.ts [--seconds S]
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createFrameSource, drainCameraPipelines } from '../daemon/src/camera/index.js';
import { silentLogger } from '../daemon/src/log/logger.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const clip = join(root, '.fixtures', 'video', 'cat_chair_640x338.mp4');
const secIdx = process.argv.indexOf('--seconds');
const seconds = secIdx > 0 ? Number(process.argv[secIdx + 1]) : 3;

interface Result {
  uri: string;
  width: number;
  height: number;
  frames: number;
  dropped: number;
  seconds: number;
  fps: number;
  cpuPercent: number;
  startMs: number;
}

async function measure(uri: string, width: number, height: number): Promise<Result> {
  const src = createFrameSource(
    { uri, width, height, fps: 30, loop: true, slideshowFps: 1, reconnect: { initialMs: 500, maxMs: 30000 }, realtime: false },
    { log: silentLogger() },
  );
  const t0 = performance.now();
  await src.start();
  const startMs = performance.now() - t0;
  await src.next();
  const cpu0 = process.cpuUsage();
  const s0 = src.stats();
  const t1 = performance.now();
  let frames = 0;
  while (performance.now() - t1 < seconds * 1000) {
    if (!(await src.next())) break;
    frames++;
  }
  const elapsed = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const dropped = src.stats().dropped - s0.dropped;
  await src.stop();
  return {
    uri: uri.startsWith('file://') ? 'file://.fixtures/video/cat_chair_640x338.mp4' : uri,
    width,
    height,
    frames,
    dropped,
    seconds: round(elapsed),
    fps: round(frames / elapsed),
    cpuPercent: round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
    startMs: round(startMs),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

const results: Result[] = [];
for (const uri of ['test://smpte', `file://${clip}`]) {
  for (const [w, h] of [
    [640, 360],
    [416, 416],
  ] as const)
    results.push(await measure(uri, w, h));
}
drainCameraPipelines();
console.log(
  JSON.stringify(
    {
      bench: 'camera-throughput',
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      secondsPerCase: seconds,
      results,
    },
    null,
    2,
  ),
);

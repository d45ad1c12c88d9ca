/**
 * Several cameras on one device: `gloves run` in process with 1, 2 and 4
 * cameras, each playing the shared cat clip (real-time paced, looping: the
 * newest frame wins, so a camera the pipeline cannot keep up with drops
 * frames), all sharing one model load, against a private Mosquitto.
 *
 * usage: node --import tsx bench/cameras.ts [--seconds S=10] [--threads T=2] [--motion on|off] [--counts 1,2,4]
 * --motion off (default): every frame is detected (a scene moving everywhere: the worst case);
 * on: motion gating as configured by default.
 * Prints JSON: per camera count, the frames processed per second of each camera
 * and in total, after a 3 s warm-up, the named fraction (a sanity check that
 * every camera is really recognising the cat) and the mean ms per frame of
 * detection, embedding and the whole frame.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainCameraPipelines } from '../daemon/src/camera/index.js';
import { loadConfig } from '../daemon/src/config/load.js';
import { createLogger } from '../daemon/src/log/logger.js';
import { Daemon } from '../daemon/src/runtime/daemon.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { catClip } from '../test/helpers/paths.js';
import { enrolClipCat } from '../test/daemon/support/clip-gallery.js';

// Each in-process file source blocks a libuv pool thread in its pull: the pool must exist with room for 4
// cameras before anything uses it, which setting the variable here is too late for (module loading already did).
if (!process.env.UV_THREADPOOL_SIZE) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
  });
  process.exit(r.status ?? 1);
}
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const seconds = Number(opt('seconds', '10'));
const threads = Number(opt('threads', '2'));
const motion = opt('motion', 'off') !== 'off';
const counts = opt('counts', '1,2,4').split(',').map(Number);
const W = 640;
const H = 338;

const dir = mkdtempSync(join(tmpdir(), 'gloves-bench-cams-'));
const gallery = join(dir, 'gallery');
const broker = await startMosquitto();
await enrolClipCat(gallery, dir, 'Chair cat', { width: W, height: H });
const log = createLogger('bench', { level: 'warn', sink: (l) => process.stderr.write(l + '\n') });

async function run(n: number): Promise<Record<string, unknown>> {
  const ids = Array.from({ length: n }, (_, i) => `cam${i + 1}`);
  const config = loadConfig({
    overrides: {
      device: { id: `bench-cams-${n}`, stateDir: join(dir, `state-${n}`) },
      cameras: ids.map((id) => ({ id, uri: `file://${catClip}`, width: W, height: H, loop: true })),
      gallery: { dir: gallery },
      mqtt: { url: broker.url },
      inference: { threads },
      motion: { enabled: motion },
      log: { level: 'warn' },
      http: { listen: 'off' },
    },
  });
  const frames = new Map(ids.map((id) => [id, 0]));
  const named = new Map(ids.map((id) => [id, 0]));
  const ms = { detect: 0, embed: 0, frame: 0 };
  let measuring = false;
  const daemon = new Daemon(config, log, {
    env: {},
    onFrame: (_frame, result, frameMs, camera) => {
      if (!measuring) return;
      frames.set(camera, frames.get(camera)! + 1);
      ms.detect += result.timing.detect;
      ms.embed += result.timing.embed;
      ms.frame += frameMs;
      if (result.sightings.length > 0) named.set(camera, named.get(camera)! + 1);
    },
  });
  await daemon.start();
  await new Promise((r) => setTimeout(r, 3000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  await daemon.stop();
  drainCameraPipelines();
  const fps = (x: number): number => Math.round((x / elapsed) * 100) / 100;
  const total = [...frames.values()].reduce((a, b) => a + b, 0);
  return {
    per_camera_fps: Object.fromEntries(ids.map((id) => [id, fps(frames.get(id)!)])),
    total_fps: fps(total),
    named_fraction: total > 0 ? Math.round(([...named.values()].reduce((a, b) => a + b, 0) / total) * 1000) / 1000 : null,
    // Per processed frame, wall time inside the frame's await (cameras overlap, so these include waiting for the others).
    mean_ms: total > 0 ? { detect: round1(ms.detect / total), embed: round1(ms.embed / total), frame: round1(ms.frame / total) } : null,
    seconds: Math.round(elapsed * 10) / 10,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const results: Record<string, Record<string, unknown>> = {};
for (const n of counts) {
  process.stderr.write(`bench/cameras: ${n} camera(s)\n`);
  results[String(n)] = await run(n);
}
await broker.stop();
console.log(
  JSON.stringify({
    clip: 'cat_chair_640x338.mp4 per camera (looping, real-time)',
    motion_gating: motion,
    frame: `${W}x${H}`,
    threads,
    cameras: results,
    machine: { cpus: cpus().length, loadavg_1m_at_end: Math.round(loadavg()[0]! * 100) / 100 },
  }),
);
process.exit(0);

/**
 * Idle cost: `gloves run` (the real CLI, a private Mosquitto) watching a static
 * scene: one frame of the shared clip, with its cat in view (a sleeping pet),
 * encoded as a 15 fps H.264 video that loops. Motion gating on (the default).
 *
 * usage: node --import tsx bench/idle.ts [--seconds S=30] [--threads T=2]
 * Prints one JSON object: idle_cpu_percent (CPU time of the daemon process, all
 * threads, as percent of one core, after a warm-up), gated_fraction (frames on
 * which detection was skipped), fps, and pet_present_at_end (the still cat was
 * never declared away although awayAfterSeconds is shorter than the run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { createFrameSource } from '../daemon/src/camera/index.js';
import { loadConfig } from '../daemon/src/config/load.js';
import { silentLogger } from '../daemon/src/log/logger.js';
import { enrolClipCat } from '../test/daemon/support/clip-gallery.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { catClip } from '../test/helpers/paths.js';
import { startDaemonChild } from './support/daemon-child.js';
import { threadCpuDelta, threadSnapshot } from './support/thread-cpu.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const seconds = opt('seconds', 30);
const threads = opt('threads', 2);
const W = 640;
const H = 338;
const FPS = 15;

const dir = mkdtempSync(join(tmpdir(), 'gloves-idle-bench-'));

/** Frame 120 of the clip (the cat sits in view) as a 10 s, 15 fps H.264 file. */
async function stillVideo(): Promise<string> {
  const grab = createFrameSource(
    { ...loadConfig().camera, uri: `file://${catClip}`, width: W, height: H, realtime: false },
    { log: silentLogger() },
  );
  await grab.start();
  let f = await grab.next();
  while (f && f.index < 120) f = await grab.next();
  await grab.stop();
  if (!f) throw new Error('the clip has fewer than 120 frames');
  const jpg = join(dir, 'still.jpg');
  await sharp(Buffer.from(f.image.data), { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 95 })
    .toFile(jpg);
  const mp4 = join(dir, 'still.mp4');
  const r = spawnSync(
    'gst-launch-1.0',
    ['-q', 'filesrc', `location=${jpg}`, '!', 'jpegdec', '!', 'videoconvert', '!', 'imagefreeze', `num-buffers=${10 * FPS}`, '!'].concat([
      `video/x-raw,framerate=${FPS}/1`,
      '!',
      'x264enc',
      '!',
      'mp4mux',
      '!',
      'filesink',
      `location=${mp4}`,
    ]),
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`encoding the still video failed: ${r.stderr}`);
  return mp4;
}

const video = await stillVideo();
const gallery = join(dir, 'gallery');
await enrolClipCat(gallery, dir, 'Chair cat', { width: W, height: H });
const broker = await startMosquitto();
const awayAfterSeconds = Math.max(10, Math.round(seconds / 3));
const daemon = startDaemonChild(dir, {
  camera: { uri: `file://${video}`, width: W, height: H, loop: true, name: 'idle' },
  device: { id: 'idle', stateDir: join(dir, 'state') },
  gallery: { dir: gallery },
  mqtt: { url: broker.url },
  inference: { threads },
  tracking: { awayAfterSeconds },
  motion: { enabled: true, recheckSeconds: Math.min(5, awayAfterSeconds / 2) },
  log: { summarySeconds: 5 },
  // Any free port: another daemon (a soak, the user's) may hold the default one.
  http: { listen: '127.0.0.1:0' },
});
const states: string[] = [];
const sub = await mqtt.connectAsync(broker.url);
sub.on('message', (_t, payload) => payload.length > 0 && states.push((JSON.parse(payload.toString()) as { state: string }).state));
await sub.subscribeAsync('gloves/idle/pets/+/state', { qos: 1 });
try {
  await daemon.ready();
  // Warm-up: first detections name the cat, JIT settles.
  await new Promise((r) => setTimeout(r, 8000));
  const base = daemon.summaries().at(-1) ?? {};
  const cpu0 = daemon.cpuSeconds();
  const threads0 = threadSnapshot(daemon.child.pid!);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = daemon.cpuSeconds() - cpu0;
  const cpuByThread = threadCpuDelta(threads0, threadSnapshot(daemon.child.pid!), daemon.child.pid!);
  const wall = (performance.now() - t0) / 1000;
  const end = daemon.summaries().at(-1) ?? {};
  // Summary counters are cumulative: frames through the loop, frames the gate skipped.
  const delta = (k: string): number => Number(end[k] ?? 0) - Number(base[k] ?? 0);
  const frames = delta('frames');
  const gated = delta('gated');
  const code = await daemon.stop();
  console.log(
    JSON.stringify({
      scene: `one clip frame with the cat in view, ${W}x${H} H.264 at ${FPS} fps, looping`,
      threads,
      seconds: Math.round(wall),
      idle_cpu_percent: Math.round((cpu / wall) * 1000) / 10,
      fps: Math.round((frames / wall) * 10) / 10,
      cpu_s_by_thread: cpuByThread,
      gated_fraction: frames > 0 ? Math.round((gated / frames) * 1000) / 1000 : null,
      away_after_s: awayAfterSeconds,
      pet_present_at_end: states.at(-1) === 'present',
      // Present -> away flips only: the first retained state is the pet's 'away' from before the cat was seen.
      left_events: states.filter((s, i) => s === 'away' && states[i - 1] === 'present').length,
      exit_code: code,
    }),
  );
} finally {
  await daemon.stop();
  await sub.endAsync(true);
  await broker.stop();
}
process.exit(0);

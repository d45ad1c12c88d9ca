/**
 * Whole-pipeline benchmark of `gloves run` on the shared cat clip: camera
 * (GStreamer, real-time pacing, looping) -> detection -> embedding -> matching
 * -> tracking/voting -> presence -> MQTT on a private Mosquitto.
 *
 * usage: node --import tsx bench/pipeline.ts [--seconds S=30] [--threads T=2] [--unpaced] [--motion on|off]
 *   [--detector-worker on|off]
 * --detector-worker: inference.detectorWorker (the detector in a worker thread and one frame
 * of lookahead; default as configured by default).
 * --unpaced: the clip is decoded as fast as the pipeline takes frames (camera realtime
 * off): pipeline_fps is then the pipeline's full speed. --motion off disables motion
 * gating (default on, as configured by default).
 * Prints JSON:
 * - pipeline_fps: frames fully processed per second (the camera delivers ~30 fps;
 *   the newest frame wins, so the rest are counted as dropped);
 * - first_frame_ms: from process start to the first processed frame (module loading,
 *   model loading, camera start and one frame);
 * - peak_rss_mb: the process's peak resident memory (the daemon runs in process);
 * - stage_ms: per-frame p50/p99 of detect, embed, match, track (+voting, presence
 *   is in total) and the whole frame;
 * - camera_to_mqtt_ms: for every processed frame in which the cat is named, the
 *   time from the frame's arrival from the camera to a subscriber receiving the
 *   retained state it caused (state refresh set to every frame for the bench;
 *   `last_seen` carries the frame's arrival time, ms resolution, same clock).
 * The cat of the clip is enrolled first from 3 frames of the clip itself (the
 * bench measures speed, not accuracy).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '../daemon/src/config/load.js';
import { createLogger } from '../daemon/src/log/logger.js';
import { drainCameraPipelines } from '../daemon/src/camera/index.js';
import { Daemon } from '../daemon/src/runtime/daemon.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { catClip } from '../test/helpers/paths.js';
import { enrolClipCat } from '../test/daemon/support/clip-gallery.js';
import { threadCpuDelta, threadSnapshot } from './support/thread-cpu.js';

process.env.UV_THREADPOOL_SIZE ??= '16';
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seconds = opt('seconds', 30);
const threads = opt('threads', 2);
const unpaced = args.includes('--unpaced');
const motion = args.includes('--motion') ? args[args.indexOf('--motion') + 1] !== 'off' : true;
const detectorWorker = args.includes('--detector-worker') ? args[args.indexOf('--detector-worker') + 1] !== 'off' : undefined;
const W = 640;
const H = 338;

const q = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]! * 10) / 10;
};

const dir = mkdtempSync(join(tmpdir(), 'gloves-bench-'));
const gallery = join(dir, 'gallery');
const broker = await startMosquitto();

// 1. Enrol the clip's cat from 3 of its frames.
await enrolClipCat(gallery, dir, 'Chair cat', { width: W, height: H });

// 2. The daemon, in process, on the looping clip.
const config = loadConfig({
  overrides: {
    device: { id: 'bench', stateDir: join(dir, 'state') },
    camera: { uri: `file://${catClip}`, width: W, height: H, loop: true, name: 'bench' },
    gallery: { dir: gallery },
    mqtt: { url: broker.url },
    inference: { threads, ...(detectorWorker === undefined ? {} : { detectorWorker }) },
    tracking: { stateRefreshSeconds: 0.001, awayAfterSeconds: 5 },
    motion: { enabled: motion, recheckSeconds: 2 },
    log: { level: 'warn' },
    http: { listen: 'off' },
  },
});
const latencies: number[] = [];
const stage = { detect: [] as number[], embed: [] as number[], match: [] as number[], track: [] as number[], total: [] as number[] };
const sub = await mqtt.connectAsync(broker.url);
sub.on('message', (topic, payload) => {
  if (!topic.endsWith('/state') || payload.length === 0) return;
  const s = JSON.parse(payload.toString()) as { state: string; last_seen: string | null };
  if (s.state === 'present' && s.last_seen && measuring) latencies.push(Date.now() - Date.parse(s.last_seen));
});
await sub.subscribeAsync('gloves/bench/pets/+/state', { qos: 1 });
let measuring = false;
let processed = 0;
let named = 0;
let firstFrameMs: number | null = null;
const daemon = new Daemon(config, createLogger('bench', { level: 'warn', sink: (l) => process.stderr.write(l + '\n') }), {
  env: {},
  ...(unpaced ? { cameraOverrides: { realtime: false } } : {}),
  onFrame: (_frame, result, totalMs) => {
    firstFrameMs ??= performance.now();
    if (!measuring) return;
    processed++;
    if (result.sightings.length > 0) named++;
    stage.detect.push(result.timing.detect);
    stage.embed.push(result.timing.embed);
    stage.match.push(result.timing.match);
    stage.track.push(result.timing.track);
    stage.total.push(totalMs);
  },
});
await daemon.start();
// Warm-up (first inferences, first state publish), then measure.
await new Promise((r) => setTimeout(r, 3000));
// Retained states of the warm-up must not count.
latencies.length = 0;
measuring = true;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const threads0 = threadSnapshot();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuByThread = threadCpuDelta(threads0, threadSnapshot(), process.pid);
await daemon.stop();
drainCameraPipelines();
await sub.endAsync(true);
await broker.stop();

console.log(
  JSON.stringify(
    {
      clip: `cat_chair_640x338.mp4 (looping, ${unpaced ? 'unpaced' : 'real-time'})`,
      motion_gating: motion,
      detector_worker: config.inference.detectorWorker,
      frame: `${W}x${H}`,
      threads,
      seconds: Math.round(elapsed * 10) / 10,
      frames_processed: processed,
      frames_with_cat_named: named,
      pipeline_fps: Math.round((processed / elapsed) * 100) / 100,
      first_frame_ms: firstFrameMs === null ? null : Math.round(firstFrameMs),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      cpu_percent: Math.round(((cpu.user + cpu.system) / 1e4 / elapsed) * 10) / 10,
      cpu_ms_per_frame: processed > 0 ? Math.round((cpu.user + cpu.system) / 1e3 / processed) : null,
      cpu_s_by_thread: cpuByThread,
      stage_ms: Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, { p50: q(v, 0.5), p99: q(v, 0.99) }])),
      camera_to_mqtt_ms: {
        samples: latencies.length,
        p50: q(latencies, 0.5),
        p99: q(latencies, 0.99),
        max: latencies.length ? Math.max(...latencies) : null,
      },
      events: daemon.counters.events,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 },
    },
    null,
    1,
  ),
);
process.exit(0);

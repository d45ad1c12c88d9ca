/**
 * `npm run bench`: every benchmark in one run, on one machine, at one thread
 * count, and one JSON object on stdout (progress and the parts' logs go to
 * stderr), also written to .artifacts/bench.json (or --out FILE).
 *
 * usage: npm run bench [-- --quick] [--threads T=2] [--out FILE]
 * --quick: shorter measurements (under 2 minutes on a quiet 2-core machine) with
 * the same headline fields; the full run adds the older single-purpose benches.
 *
 * Headline fields (each from the part named):
 * - detector_fps: bare YOLOX inferences/s, session.run only (detector.ts);
 * - pipeline_fps: end-to-end frames/s of the daemon on the clip, unpaced, motion
 *   gating off so every frame is detected (pipeline.ts --unpaced --motion off);
 * - pipeline_efficiency = pipeline_fps / detector_fps (target >= 0.85);
 * - camera_to_mqtt_ms {p50, p99}: frame arrival to the retained state at a
 *   subscriber of a real Mosquitto, at the clip's real-time rate (pipeline.ts);
 * - idle_cpu_percent: the daemon process on a static scene at 15 fps, gating on,
 *   in percent of one core (idle.ts; target < 10);
 * - peak_rss_mb, first_frame_ms: of the unpaced pipeline run (process start to first frame);
 * - cameras: frames/s per camera and in total with 1, 2 and 4 cameras each playing the clip in one
 *   daemon, every frame detected (cameras.ts);
 * - threads, machine.
 * Each part is its own process (its memory and start-up are its own) and prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../test/helpers/paths.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : 2;
const out = args.includes('--out') ? args[args.indexOf('--out') + 1]! : join(repoRoot, '.artifacts', 'bench.json');
const t = (q: number, full: number): string => String(quick ? q : full);
const th = ['--threads', String(threads)];

interface Part {
  name: string;
  script: string;
  args: string[];
  /** Only in the full run. */
  full?: boolean;
}
const parts: Part[] = [
  { name: 'detector', script: 'detector.ts', args: ['--seconds', t(3, 10), ...th] },
  { name: 'pipeline_unpaced', script: 'pipeline.ts', args: ['--unpaced', '--motion', 'off', '--seconds', t(10, 30), ...th] },
  { name: 'pipeline_realtime', script: 'pipeline.ts', args: ['--seconds', t(10, 30), ...th] },
  { name: 'idle', script: 'idle.ts', args: ['--seconds', t(15, 60), ...th] },
  { name: 'cameras', script: 'cameras.ts', args: ['--seconds', t(4, 15), ...th] },
  { name: 'identify', script: 'identify.ts', args: ['60', ...th], full: true },
  { name: 'native_kernels', script: 'native-kernels.ts', args: ['1', '5'], full: true },
  { name: 'camera_throughput', script: 'camera-throughput.ts', args: ['--seconds', '3'], full: true },
  { name: 'track_evidence', script: 'track-evidence.ts', args: ['5000'], full: true },
  { name: 'overlap', script: 'overlap.ts', args: ['--seconds', '8', ...th], full: true },
  { name: 'http_identify', script: 'http-identify.ts', args: ['--seconds', '20'], full: true },
];

function runPart(p: Part): Promise<{ json: Record<string, unknown>; seconds: number }> {
  const t0 = performance.now();
  process.stderr.write(`bench: ${p.name} (${p.script} ${p.args.join(' ')})\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', p.script), ...p.args], {
      cwd: repoRoot,
      env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      if (code !== 0) return reject(new Error(`${p.script} exited with ${code}`));
      try {
        resolve({ json: JSON.parse(stdout) as Record<string, unknown>, seconds });
      } catch {
        reject(new Error(`${p.script} did not print one JSON object: ${stdout.slice(0, 500)}`));
      }
    });
  });
}

const t0 = performance.now();
const results: Record<string, Record<string, unknown>> = {};
const errors: Record<string, string> = {};
for (const p of parts.filter((x) => !quick || !x.full)) {
  try {
    const r = await runPart(p);
    results[p.name] = { ...r.json, part_seconds: r.seconds };
  } catch (err) {
    errors[p.name] = (err as Error).message;
    process.stderr.write(`bench: ${p.name} failed: ${(err as Error).message}\n`);
  }
}

const get = (part: string, ...path: string[]): number | null => {
  let v: unknown = results[part];
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : null;
};
const detectorFps = get('detector', 'detector_fps');
const pipelineFps = get('pipeline_unpaced', 'pipeline_fps');
const ortVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }
).version;
const report = {
  quick,
  detector_fps: detectorFps,
  pipeline_fps: pipelineFps,
  pipeline_efficiency: detectorFps && pipelineFps !== null ? Math.round((pipelineFps / detectorFps) * 1000) / 1000 : null,
  camera_to_mqtt_ms: {
    p50: get('pipeline_realtime', 'camera_to_mqtt_ms', 'p50'),
    p99: get('pipeline_realtime', 'camera_to_mqtt_ms', 'p99'),
  },
  idle_cpu_percent: get('idle', 'idle_cpu_percent'),
  peak_rss_mb: get('pipeline_unpaced', 'peak_rss_mb'),
  first_frame_ms: get('pipeline_unpaced', 'first_frame_ms'),
  cameras: Object.fromEntries(
    ['1', '2', '4'].map((n) => [
      n,
      {
        per_camera_fps: results.cameras
          ? ((results.cameras.cameras as Record<string, Record<string, unknown>>)[n]?.per_camera_fps ?? null)
          : null,
        total_fps: get('cameras', 'cameras', n, 'total_fps'),
      },
    ]),
  ),
  threads,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? null,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    loadavg_1m_at_end: Math.round(loadavg()[0]! * 100) / 100,
    node: process.version,
    onnxruntime_node: ortVersion,
  },
  seconds: Math.round((performance.now() - t0) / 1000),
  parts: results,
  ...(Object.keys(errors).length > 0 ? { errors } : {}),
};
const text = JSON.stringify(report, null, 1);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text + '\n');
process.stderr.write(`bench: written to ${out}\n`);
console.log(text);
process.exit(Object.keys(errors).length > 0 ? 1 : 0);

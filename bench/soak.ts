/**
 * Soak: `gloves run` (the real CLI) on the looping shared clip (a cat in view)
 * against a private Mosquitto for --minutes M. Every --every seconds (default
 * 60) it records the daemon's RSS, V8 heap (from its summary line), frames per
 * second, outbox depth and open file descriptors.
 *
 * usage: node --import tsx bench/soak.ts --minutes M [--every S=60] [--warmup S=120] [--out FILE]
 * Prints one JSON object (also written to --out): the samples, and for RSS, heap
 * and fds the growth after the warm-up (percent): RSS as the median of the last 5
 * samples against the median of the first 5 after the warm-up (RSS swings by
 * +-10 MB between samples with the garbage collector, so one sample against
 * another measures that swing; the single-sample figure is reported too);
 * pass = RSS growth <= 5% and no fd growth beyond a few transient ones.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrolClipCat } from '../test/daemon/support/clip-gallery.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { catClip } from '../test/helpers/paths.js';
import { startDaemonChild } from './support/daemon-child.js';
import { median } from './support/stats.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
const minutes = Number(opt('minutes', '30'));
const every = Number(opt('every', '60'));
const warmup = Number(opt('warmup', '120'));
const outFile = opt('out', '');
if (!(minutes > 0) || !(every > 0)) throw new Error('usage: soak.ts --minutes M [--every S] [--warmup S] [--out FILE]');

const dir = mkdtempSync(join(tmpdir(), 'gloves-soak-'));
const gallery = join(dir, 'gallery');
await enrolClipCat(gallery, dir, 'Chair cat', { width: 640, height: 338 });
const broker = await startMosquitto();
const daemon = startDaemonChild(dir, {
  camera: { uri: `file://${catClip}`, width: 640, height: 338, loop: true, name: 'soak' },
  device: { id: 'soak', stateDir: join(dir, 'state') },
  gallery: { dir: gallery },
  mqtt: { url: broker.url },
  // Summaries more often than samples, so each sample has a fresh heap figure.
  log: { summarySeconds: Math.min(10, every) },
  // Any free port: another daemon may hold the default one.
  http: { listen: '127.0.0.1:0' },
});

interface Sample {
  t_s: number;
  rss_mb: number;
  heap_mb: number | null;
  fps: number | null;
  frames: number | null;
  outbox: number | null;
  fds: number;
}
const samples: Sample[] = [];
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
let exitCode: number | null;
try {
  await daemon.ready();
  const t0 = Date.now();
  let lastFrames = 0;
  let lastT = 0;
  const sample = (): void => {
    const s = daemon.summaries().at(-1) ?? {};
    const t = (Date.now() - t0) / 1000;
    const frames = num(s.frames);
    samples.push({
      t_s: Math.round(t),
      rss_mb: Math.round(daemon.rssMb() * 10) / 10,
      heap_mb: num(s.heapMB),
      frames,
      fps: frames !== null && t > lastT ? Math.round(((frames - lastFrames) / (t - lastT)) * 10) / 10 : null,
      outbox: num(s.outbox),
      fds: daemon.openFds(),
    });
    lastFrames = frames ?? lastFrames;
    lastT = t;
    process.stderr.write(`soak ${JSON.stringify(samples.at(-1))}\n`);
  };
  sample();
  while (Date.now() - t0 < minutes * 60_000) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + samples.length * every * 1000 - Date.now())));
    if (daemon.child.exitCode !== null) throw new Error(`daemon exited early (${daemon.child.exitCode}):\n${daemon.log().slice(-4000)}`);
    sample();
  }
} finally {
  exitCode = await daemon.stop();
  await broker.stop();
}
const warm = samples.find((s) => s.t_s >= warmup) ?? samples[0]!;
const last = samples.at(-1)!;
const growth = (a: number | null, b: number | null): number | null => (a && b !== null ? Math.round(((b - a) / a) * 1000) / 10 : null);
const after = samples.filter((s) => s.t_s >= warmup);
const k = Math.min(5, Math.floor(after.length / 2));
const rssGrowth =
  k > 0
    ? growth(median(after.slice(0, k).map((s) => s.rss_mb)), median(after.slice(-k).map((s) => s.rss_mb)))!
    : growth(warm.rss_mb, last.rss_mb)!;
const result = {
  source: 'cat_chair_640x338.mp4 (looping, real-time) -> gloves run -> private Mosquitto',
  minutes,
  every_s: every,
  warmup_s: warmup,
  samples,
  peak_rss_mb: Math.max(...samples.map((s) => s.rss_mb)),
  rss_growth_percent: rssGrowth,
  rss_growth_single_sample_percent: growth(warm.rss_mb, last.rss_mb),
  rss_after_warmup_mb: after.length ? { min: Math.min(...after.map((s) => s.rss_mb)), max: Math.max(...after.map((s) => s.rss_mb)) } : null,
  heap_growth_percent: growth(warm.heap_mb, last.heap_mb),
  fds_growth: last.fds - warm.fds,
  outbox_max: Math.max(0, ...samples.map((s) => s.outbox ?? 0)),
  pass: rssGrowth <= 5 && last.fds - warm.fds <= 4,
  exit_code: exitCode,
  // The daemon's own complaints over the run: a clean soak has none.
  log_errors: daemon.log().match(/^(?:\S+ )?ERROR /gm)?.length ?? 0,
  log_warnings: daemon.log().match(/^(?:\S+ )?WARN /gm)?.length ?? 0,
  log_problems: daemon
    .log()
    .split('\n')
    .filter((l) => /^(?:\S+ )?(ERROR|WARN) /.test(l))
    .slice(0, 10),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 },
};
const text = JSON.stringify(result, null, 1);
if (outFile) writeFileSync(outFile, text + '\n');
console.log(text);
process.exit(0);

/**
 * Long memory soak of `gloves run` (the real CLI, a private Mosquitto): RSS of
 * the daemon every `--every` seconds for `--seconds`, on the looping shared
 * clip (a cat in view) or a test pattern at full speed.
 *
 * usage: node --import tsx bench/memory-soak.ts [--source clip|smpte] [--seconds 600] [--every 30]
 * Prints JSON: curve [{t_s, frames, rss_mb}], peak_rss_mb, growth_after_warmup_mb
 * (last sample minus the first sample at or after 60 s), and the frame rate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrolClipCat } from '../test/daemon/support/clip-gallery.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { catClip, cliPath, repoRoot } from '../test/helpers/paths.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const source = opt('source', 'clip');
const seconds = Number(opt('seconds', '600'));
const every = Number(opt('every', '30'));
if (source !== 'clip' && source !== 'smpte') throw new Error(`--source must be clip or smpte, got ${source}`);

const dir = mkdtempSync(join(tmpdir(), 'gloves-soak-bench-'));
const gallery = join(dir, 'gallery');
const broker = await startMosquitto({});
await enrolClipCat(gallery, dir);
const camera = source === 'clip' ? { uri: `file://${catClip}`, loop: true } : { uri: 'test://smpte', fps: 60 };
const file = join(dir, 'config.json');
writeFileSync(
  file,
  JSON.stringify({
    camera,
    device: { id: 'soak', stateDir: join(dir, 'state') },
    gallery: { dir: gallery },
    mqtt: { url: broker.url },
    log: { summarySeconds: 5 },
  }),
);
const child = spawn(process.execPath, [cliPath, 'run', '--config', file], {
  cwd: repoRoot,
  env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d.toString()));
child.stderr.on('data', (d: Buffer) => (out += d.toString()));

const frames = (): number => Number((out.match(/"frames":(\d+)/g) ?? ['"frames":0']).at(-1)!.slice(9));
const rssMb = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
while (!/INFO gloves: ready/.test(out)) {
  if (child.exitCode !== null) throw new Error(`daemon exited:\n${out}`);
  await new Promise((r) => setTimeout(r, 100));
}
const t0 = Date.now();
const curve: { t_s: number; frames: number; rss_mb: number }[] = [{ t_s: 0, frames: frames(), rss_mb: Math.round(rssMb()) }];
let peak = rssMb();
while (Date.now() - t0 < seconds * 1000) {
  const next = t0 + curve.length * every * 1000;
  while (Date.now() < next) {
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, rssMb());
  }
  curve.push({ t_s: Math.round((Date.now() - t0) / 1000), frames: frames(), rss_mb: Math.round(rssMb()) });
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await broker.stop();
const warm = curve.find((c) => c.t_s >= 60) ?? curve[0]!;
const last = curve.at(-1)!;
console.log(
  JSON.stringify(
    {
      source,
      seconds,
      every_s: every,
      frames: last.frames,
      fps: Math.round((last.frames / Math.max(1, last.t_s)) * 10) / 10,
      peak_rss_mb: Math.round(peak),
      growth_after_warmup_mb: last.rss_mb - warm.rss_mb,
      curve,
    },
    null,
    1,
  ),
);

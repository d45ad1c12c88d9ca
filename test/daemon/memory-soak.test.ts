/**
 * `gloves run` at full speed for at least 1,500 processed frames, on a test
 * pattern (no animal: detection only) and on the looping shared clip (a cat:
 * detection, embedding, tracking, snapshots, events), sampling the process's
 * RSS once a second. After a warm-up of 300 frames RSS must stay flat: the
 * median of the last five samples within 30 MB of the first five. Before the
 * fix the frame loop kept every frame alive (~0.7 MB each), >1 GB by the end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { startDaemon } from './support/daemon.js';

const FRAMES = 1500;
const WARMUP = 300;
let broker: Broker;
let dir: string;
let gallery: string;

test.before(async () => {
  requireFixtures();
  dir = mkdtempSync(join(tmpdir(), 'gloves-soak-'));
  gallery = join(dir, 'gallery');
  broker = await startMosquitto({});
  await enrolClipCat(gallery, dir);
});
test.after(async () => {
  await broker?.stop();
});

interface Sample {
  frames: number;
  rssMb: number;
}

async function soak(id: string, camera: Record<string, unknown>): Promise<Sample[]> {
  const file = join(dir, `${id}.json`);
  const config = {
    camera,
    device: { id, stateDir: join(dir, `state-${id}`) },
    gallery: { dir: gallery },
    mqtt: { url: broker.url },
    log: { summarySeconds: 1 },
  };
  writeFileSync(file, JSON.stringify(config));
  const d = startDaemon(['--config', file]);
  const samples: Sample[] = [];
  try {
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    const deadline = Date.now() + 400_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (d.child.exitCode !== null) throw new Error(`daemon exited:\n${d.output().slice(-3000)}`);
      const summaries = d.output().match(/"frames":(\d+)/g) ?? [];
      const frames = summaries.length > 0 ? Number(summaries.at(-1)!.slice(9)) : 0;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'));
      samples.push({ frames, rssMb: Number(rss![1]) / 1024 });
      if (frames >= FRAMES) break;
      if (Date.now() > deadline) throw new Error(`only ${frames} frames in 400 s`);
    }
    d.child.kill('SIGTERM');
    assert.is((await d.exited()).code, 0);
    assert.not.ok(/ERROR/.test(d.output()), d.output().slice(-3000));
  } finally {
    d.child.kill('SIGKILL');
  }
  return samples;
}

function assertFlat(name: string, samples: Sample[]): void {
  const after = samples.filter((s) => s.frames >= WARMUP);
  assert.ok(after.length >= 10, `${name}: ${after.length} samples after warm-up`);
  const med = (xs: Sample[]): number => xs.map((s) => s.rssMb).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const growth = med(after.slice(-5)) - med(after.slice(0, 5));
  const curve = samples.map((s) => `${s.frames}:${s.rssMb.toFixed(0)}`).join(' ');
  assert.ok(growth < 30, `${name}: RSS grew ${growth.toFixed(1)} MB after warm-up (frames:MB) ${curve}`);
  const peak = Math.max(...samples.map((s) => s.rssMb));
  assert.ok(peak < 600, `${name}: peak RSS ${peak.toFixed(0)} MB; ${curve}`);
}

test('test pattern at full speed: RSS flat over 1,500 frames', async () => {
  assertFlat('test://smpte', await soak('smpte', { uri: 'test://smpte', fps: 60 }));
});

test('the looping shared clip (a cat in view): RSS flat over 1,500 frames', async () => {
  assertFlat('clip', await soak('clip', { uri: `file://${catClip}`, loop: true }));
});

test.run();

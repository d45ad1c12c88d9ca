/**
 * Issue 11 faults: a truncated or corrupted video file as the camera. `gloves run --exit-at-end`
 * against a real Mosquitto: nothing may hang or crash. A file with no playable stream (empty, only
 * its header) is refused at start with SOURCE_UNSUPPORTED; a file cut short plays what it has and
 * ends; bytes overwritten in the middle are decoded around (frames are still processed) and end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { rng } from '../helpers/rng.js';
import { startDaemon } from './support/daemon.js';

requireFixtures();
const dir = mkdtempSync(join(tmpdir(), 'gloves-badvideo-'));
const clip = readFileSync(catClip);
let broker: Broker;

test.before(async () => {
  broker = await startMosquitto({});
});
test.after(async () => {
  await broker?.stop();
});

function video(name: string, bytes: Uint8Array): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

/** Runs the daemon to its end on `file`; fails on a hang (no exit in `ms`) or a crash (a signal). */
async function runTo(file: string, ms = 60_000): Promise<{ code: number | null; out: string }> {
  const d = startDaemon(['--camera', `file://${file}`, '--mqtt', broker.url, '--exit-at-end'], {
    GLOVES_DEVICE__STATE_DIR: join(dir, 'state'),
    GLOVES_GALLERY__DIR: join(dir, 'gallery'),
  });
  const timer = setTimeout(() => d.child.kill('SIGKILL'), ms);
  const exit = await d.exited();
  clearTimeout(timer);
  assert.is(exit.signal, null, `killed (${exit.signal}): a hang or a crash:\n${d.output().slice(-3000)}`);
  return { code: exit.code, out: d.output() };
}

const processed = (out: string): number => Number(/camera source ended \{.*?"frames":(\d+)/.exec(out)?.[1] ?? -1);

test('an empty file and a file cut inside its header: SOURCE_UNSUPPORTED at start, quickly', async () => {
  for (const [name, bytes] of [
    ['empty.mp4', new Uint8Array()],
    ['header.mp4', clip.subarray(0, 3000)],
  ] as const) {
    const t0 = Date.now();
    const r = await runTo(video(name, bytes));
    assert.is(r.code, 1, r.out.slice(-2000));
    assert.match(r.out, /error \[SOURCE_UNSUPPORTED\]: camera: not a playable video/, r.out.slice(-2000));
    assert.ok(Date.now() - t0 < 30_000, `${name}: refused after ${Date.now() - t0} ms`);
  }
});

test('a file cut in the middle plays what it has and ends (exit 0), frames processed', async () => {
  const r = await runTo(video('cut.mp4', clip.subarray(0, Math.floor(clip.length * 0.4))));
  assert.is(r.code, 0, r.out.slice(-2000));
  assert.ok(processed(r.out) > 0, r.out.slice(-2000));
  assert.not.match(r.out, /ERROR gloves: frame loop crashed|PIPELINE_FAILED/, r.out.slice(-2000));
});

test('a file with 300 bytes overwritten after its header is decoded around and ends, no crash', async () => {
  const random = rng(42);
  const bad = Buffer.from(clip);
  for (let i = 0; i < 300; i++) bad[50_000 + Math.floor(random() * (bad.length - 50_000))] = Math.floor(random() * 256);
  const r = await runTo(video('corrupt.mp4', bad));
  // The demuxer may give up on a broken sample table, or the decoder on broken frames (a typed
  // error, exit 1), or it plays through (exit 0).
  if (r.code === 0) assert.ok(processed(r.out) > 0, r.out.slice(-2000));
  else {
    assert.is(r.code, 1, r.out.slice(-2000));
    assert.match(r.out, /error \[[A-Z_]+\]: /, r.out.slice(-2000));
  }
  assert.not.match(r.out, /INTERNAL|frame loop crashed/, r.out.slice(-2000));
});

test.run();

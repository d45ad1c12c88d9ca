/**
 * The real daemon (`gloves run`) against a real loopback RTSP camera that dies
 * and comes back: the loss is noticed within the stall timeout, logged once,
 * visible on MQTT; nobody is declared away while the camera is blind; frames
 * and pet states resume when it returns; SIGTERM stops the daemon within 2 s
 * during a loss and during a hanging reconnect; 50 loss cycles (the RTSP server
 * stopped and started again, reconnect backoff tuned down) leave RSS and the
 * number of camera pipelines (gst-launch children) flat.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { rtspCamera, type RtspCamera } from '../helpers/rtsp.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { startDaemon, type RunningDaemon } from './support/daemon.js';
import { record, type Recorder } from './support/subscriber.js';

const STALL_MS = 3000;
let broker: Broker;
let cam: RtspCamera;
let dir: string;
let gallery: string;

test.before(async () => {
  requireFixtures();
  dir = mkdtempSync(join(tmpdir(), 'gloves-camloss-'));
  gallery = join(dir, 'gallery');
  broker = await startMosquitto({});
  await enrolClipCat(gallery, dir);
  cam = await rtspCamera(catClip);
  await cam.start();
});
test.after(async () => {
  await cam?.kill();
  await broker?.stop();
});

function run(id: string, reconnect = { initialMs: 200, maxMs: 1000 }): { d: RunningDaemon; base: string } {
  const config = {
    camera: { uri: cam.url, stallTimeoutMs: STALL_MS, reconnect },
    device: { id, stateDir: join(dir, `state-${id}`) },
    gallery: { dir: gallery },
    mqtt: { url: broker.url, reconnectSeconds: 0.3 },
    tracking: { awayAfterSeconds: 3, stateRefreshSeconds: 1 },
    log: { summarySeconds: 1 },
  };
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(config));
  return { d: startDaemon(['--config', file]), base: `gloves/${id}` };
}

const count = (d: RunningDaemon, re: RegExp): number =>
  d
    .output()
    .split('\n')
    .filter((l) => re.test(l)).length;

async function waitCount(d: RunningDaemon, re: RegExp, n: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (count(d, re) < n) {
    if (Date.now() > end) throw new Error(`fewer than ${n} lines ${re} within ${ms} ms:\n${d.output().slice(-4000)}`);
    if (d.child.exitCode !== null) throw new Error(`daemon exited:\n${d.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sigtermWithin(d: RunningDaemon, ms: number): Promise<number> {
  const t0 = Date.now();
  d.child.kill('SIGTERM');
  const exit = await Promise.race([d.exited(), new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  const took = Date.now() - t0;
  if (!exit) {
    d.child.kill('SIGKILL');
    throw new Error(`no exit ${ms} ms after SIGTERM:\n${d.output().slice(-3000)}`);
  }
  assert.is(exit.code, 0, d.output().slice(-3000));
  return took;
}

const cameraState = (sub: Recorder, base: string): string | undefined =>
  sub.json<{ state: string }>(`${base}/cameras/camera/state`).at(-1)?.state;

test('a lost camera is noticed, nobody goes away while it is blind, frames resume when it returns, SIGTERM during the loss', async () => {
  const { d, base } = run('loss');
  const sub = await record(broker.url, [`${base}/#`]);
  try {
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    await sub.until(
      () => sub.json<{ type: string }>(`${base}/events`).some((e) => e.type === 'seen'),
      60_000,
      'a seen event for the clip cat',
    );
    await sub.until(() => cameraState(sub, base) === 'online', 10_000, 'camera online');

    const lostAt = Date.now();
    await cam.kill();
    await d.waitForLine(/WARN gloves: camera lost/, STALL_MS + 1000);
    await sub.until(() => cameraState(sub, base) === 'lost', STALL_MS + 1000, 'camera lost on MQTT');
    assert.ok(Date.now() - lostAt <= STALL_MS + 1000, `loss noticed after ${Date.now() - lostAt} ms`);

    // Blind for twice the away timeout: nobody may be declared away.
    await new Promise((r) => setTimeout(r, 6000));
    assert.is(count(d, /WARN gloves: camera lost/), 1, 'the loss is logged once');
    assert.ok(count(d, /camera still lost/) >= 3, 'then summarised periodically');

    const backAt = Date.now();
    await cam.start();
    await d.waitForLine(/INFO gloves: camera back/, 20_000);
    await sub.until(() => cameraState(sub, base) === 'online', 5000, 'camera online again');
    const stateTopic = `${base}/pets/chair_cat/state`;
    await sub.until(
      () => sub.json<{ last_seen: string }>(stateTopic).some((s) => Date.parse(s.last_seen) > backAt),
      20_000,
      'a pet state seen after the camera returned',
    );
    const types = sub.json<{ type: string }>(`${base}/events`).map((e) => e.type);
    assert.not.ok(types.includes('left'), `events: ${types.join(',')}`);

    await cam.kill();
    await waitCount(d, /WARN gloves: camera lost/, 2, STALL_MS + 1000);
    const took = await sigtermWithin(d, 2000);
    assert.ok(took < 2000, `stopped in ${took} ms`);
  } finally {
    d.child.kill('SIGKILL');
    await sub.close();
    if (!cam.running()) await cam.start();
  }
});

test('SIGTERM while a reconnect attempt hangs on a silent server stops within 2 s', async () => {
  const { d } = run('hang');
  const held: Socket[] = [];
  const silent = createServer((s) => held.push(s));
  try {
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    await cam.kill();
    await d.waitForLine(/camera lost/, STALL_MS + 1000);
    await new Promise<void>((resolve, reject) => silent.once('error', reject).listen(cam.port, '127.0.0.1', resolve));
    // A reconnect attempt connects and waits for an RTSP answer that never comes.
    for (let t = 0; held.length === 0; t += 50) {
      if (t > 10_000) throw new Error('no reconnect attempt reached the silent server');
      await new Promise((r) => setTimeout(r, 50));
    }
    const took = await sigtermWithin(d, 2000);
    assert.ok(took < 2000, `stopped in ${took} ms`);
  } finally {
    d.child.kill('SIGKILL');
    held.forEach((s) => s.destroy());
    await new Promise((r) => silent.close(r));
    await cam.start();
  }
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cameraChildren(pid: number): number {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-x', 'gst-launch-1.0'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

const CYCLES = 50;

test('50 loss cycles leave RSS and the camera pipelines flat', async () => {
  // Short backoff: each cycle costs the RTSP server's restart and one quick reconnect.
  const { d } = run('cycles', { initialMs: 50, maxMs: 200 });
  try {
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    const rss: number[] = [];
    const t0 = Date.now();
    const children: number[] = [];
    for (let i = 1; i <= CYCLES; i++) {
      await cam.kill();
      await waitCount(d, /WARN gloves: camera lost/, i, STALL_MS + 1000);
      children.push(cameraChildren(d.child.pid!));
      await cam.start();
      await waitCount(d, /INFO gloves: camera back/, i, 20_000);
      await new Promise((r) => setTimeout(r, 100)); // a few frames through the pipeline
      children.push(cameraChildren(d.child.pid!));
      rss.push(rssMb(d.child.pid!));
    }
    assert.ok(Math.max(...children) <= 1, `gst-launch children per sample: ${children.join(',')}`);
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const early = med(rss.slice(5, 15));
    const late = med(rss.slice(-10));
    console.log(`${CYCLES} cycles in ${Math.round((Date.now() - t0) / 1000)} s; RSS MB early ${early.toFixed(0)}, late ${late.toFixed(0)}`);
    assert.ok(late - early < 30, `RSS MB after each cycle: ${rss.map((x) => x.toFixed(0)).join(',')}`);
    assert.ok(count(d, /camera back/) >= CYCLES);
    await sigtermWithin(d, 2000);
  } finally {
    d.child.kill('SIGKILL');
  }
});

test.run();

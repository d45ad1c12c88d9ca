/**
 * Several cameras in one daemon, with only real parts: a private Mosquitto, the
 * real models, GStreamer sources (the shared clip, a slideshow of shared photos,
 * loopback RTSP cameras that die). Checks per-camera events, the retained
 * per-camera status topics, one presence per pet across cameras with its
 * `last_camera`, and that no pet is declared away while every camera is down.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PetEvent } from '../../daemon/src/events/types.js';
import type { PetState } from '../../daemon/src/presence/types.js';
import { catClip, catsDir, requireFixtures } from '../helpers/paths.js';
import { freePort, startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { rtspCamera, type RtspCamera } from '../helpers/rtsp.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { buildSlideshow, cli, startDaemon, type RunningDaemon } from './support/daemon.js';
import { record, type Recorder } from './support/subscriber.js';

const CLIP_CAT = 'chair_cat';
type Check = { status: string; reason?: string };
let broker: Broker;
let dir: string;
let gallery: string;
let koshka: string;

test.before(async () => {
  try {
    requireFixtures();
    dir = mkdtempSync(join(tmpdir(), 'gloves-cameras-'));
    gallery = join(dir, 'gallery');
    broker = await startMosquitto({});
    const shots = join(dir, 'shots');
    mkdirSync(shots);
    await enrolClipCat(gallery, shots);
    const k = cli(['enroll', '--gallery', gallery, '--name', 'Koshka', '--json', ...['01', '04', '08', '11'].map((n) => cat('koshka', n))]);
    assert.is(k.code, 0, k.stderr);
    koshka = (JSON.parse(k.stdout) as { pet: { id: string } }).pet.id;
  } catch (err) {
    // uvu reports nothing when a before-hook throws: print the reason.
    console.error('setup failed:', err);
    throw err;
  }
});
test.after(async () => {
  await broker?.stop();
});

function cat(name: string, n: string): string {
  return join(catsDir, name, `${n}.jpg`);
}

function start(id: string, config: Record<string, unknown>): { d: RunningDaemon; base: string } {
  const file = join(dir, `${id}.json`);
  const common = {
    device: { id, stateDir: join(dir, `state-${id}`) },
    gallery: { dir: gallery },
    mqtt: { url: broker.url, reconnectSeconds: 0.3 },
    tracking: { minVotes: 2, awayAfterSeconds: 3, stateRefreshSeconds: 1 },
    inference: { threads: 1 },
    log: { summarySeconds: 2 },
  };
  writeFileSync(file, JSON.stringify({ ...common, ...config }));
  // The config's http section (if any) wins over the helper's GLOVES_HTTP__LISTEN=off.
  return {
    d: startDaemon(['--config', file], config.http ? { GLOVES_HTTP__LISTEN: (config.http as { listen: string }).listen } : {}),
    base: `gloves/${id}`,
  };
}

function events(r: Recorder, base: string): PetEvent[] {
  const seen = new Set<string>();
  return r.json<PetEvent>(`${base}/events`).filter((e) => !seen.has(e.id) && seen.add(e.id));
}

const last = (r: Recorder, topic: string): string | undefined => r.text(topic).at(-1);

async function sigterm(d: RunningDaemon): Promise<void> {
  d.child.kill('SIGTERM');
  const exit = await d.exited();
  assert.is(exit.code, 0, d.output().slice(-3000));
}

test('two cameras (the clip, a slideshow): per-camera events and status, one presence per pet with its last_camera', async () => {
  const slides = join(dir, 'slides');
  // Koshka only on the slideshow, the chair cat only on the clip (one pet on two cameras at once: test/daemon/presence.test.ts).
  await buildSlideshow(slides, [
    { image: cat('koshka', '06'), copies: 4 },
    { image: cat('koshka', '12'), copies: 4 },
    { image: 'blank', copies: 10 },
  ]);
  const { d, base } = start('two', {
    cameras: [
      { id: 'clip', name: 'Chair', uri: `file://${catClip}`, loop: true },
      { id: 'photos', name: 'Photos', uri: `file://${slides}`, width: 640, height: 480, slideshowFps: 2 },
    ],
  });
  const sub = await record(broker.url, [`${base}/#`]);
  try {
    await sub.until(() => last(sub, `${base}/cameras/clip/status`) === 'online', 60_000, 'clip online');
    await sub.until(() => last(sub, `${base}/cameras/photos/status`) === 'online', 5000, 'photos online');
    await sub.until(() => last(sub, `${base}/cameras_online`) === 'online', 5000, 'pets available');
    // The slideshow ends (a file source read to its end): that camera goes offline, the clip goes on.
    await sub.until(() => last(sub, `${base}/cameras/photos/status`) === 'offline', 120_000, 'slideshow ended');
    assert.is(JSON.parse(last(sub, `${base}/cameras/photos/state`)!).state, 'ended');
    await d.waitForLine(/camera source ended.*"camera":"photos"/, 5000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.is(last(sub, `${base}/cameras/clip/status`), 'online', 'the other camera is unaffected');
    assert.is(last(sub, `${base}/cameras_online`), 'online', 'a camera is still up');
    assert.is(d.child.exitCode, null, 'the daemon goes on with one camera');

    const evs = events(sub, base);
    const desc = evs.map((e) => `${e.type}:${e.pet_id ?? '-'}:${e.camera}`);
    assert.ok(evs.length > 0 && evs.every((e) => e.camera === 'clip' || e.camera === 'photos'), desc.join(', '));
    assert.ok(desc.includes(`seen:${koshka}:photos`), `Koshka seen on photos: ${desc.join(', ')}`);
    assert.ok(desc.includes(`left:${koshka}:photos`), `Koshka left, last seen on photos: ${desc.join(', ')}`);
    assert.not.ok(
      desc.some((x) => x.startsWith(`seen:${koshka}:clip`)),
      desc.join(', '),
    );
    assert.ok(desc.includes(`seen:${CLIP_CAT}:clip`), `the clip's cat seen on the clip: ${desc.join(', ')}`);

    // One presence per pet, whose state names the camera that saw it.
    const states = sub.json<PetState>(`${base}/pets/${CLIP_CAT}/state`).filter((s) => s.last_seen !== null);
    assert.ok(states.some((s) => s.state === 'present'));
    assert.ok(
      states.every((s) => s.last_camera === 'clip' && s.camera === 'clip'),
      JSON.stringify(states),
    );
    // (Exactly one visit is not asserted: on a loaded 2-core machine the looping clip's cat can go unnamed for longer than awayAfter.)
    assert.ok(
      desc.filter((x) => x.startsWith(`seen:${CLIP_CAT}`)).every((x) => x.endsWith(':clip')),
      `the chair cat is seen on the clip only: ${desc.join(', ')}`,
    );
    const k = sub.json<PetState>(`${base}/pets/${koshka}/state`).at(-1)!;
    assert.equal([k.state, k.last_camera], ['away', 'photos']);
  } finally {
    await sigterm(d);
    await sub.until(() => last(sub, `${base}/cameras/clip/status`) === 'offline', 5000, 'offline on a clean stop');
    assert.is(last(sub, `${base}/cameras_online`), 'offline');
    await sub.close();
  }
});

test('a camera going down: its status offline, the other goes on; every camera down: no left, pets unavailable', async () => {
  const cams: RtspCamera[] = [await rtspCamera(catClip), await rtspCamera(catClip)];
  // One after the other: the first start prepares the joined clip both serve.
  for (const c of cams) await c.start();
  const live = (c: RtspCamera) => ({ uri: c.url, stallTimeoutMs: 3000, reconnect: { initialMs: 200, maxMs: 1000 } });
  const port = await freePort();
  const { d, base } = start('down', {
    cameras: [
      { id: 'a', ...live(cams[0]!) },
      { id: 'b', ...live(cams[1]!) },
    ],
    http: { listen: `127.0.0.1:${port}` },
  });
  const health = async (): Promise<{ status: string; checks: { camera: Check }; cameras: Record<string, Check> }> =>
    (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as never;
  const sub = await record(broker.url, [`${base}/#`]);
  const present = (): boolean => sub.json<PetState>(`${base}/pets/${CLIP_CAT}/state`).at(-1)?.state === 'present';
  try {
    await sub.until(present, 120_000, 'the clip cat present');
    const lastCameras = (): Set<string | null> => new Set(sub.json<PetState>(`${base}/pets/${CLIP_CAT}/state`).map((s) => s.last_camera));
    await sub.until(() => lastCameras().has('a') && lastCameras().has('b'), 30_000, 'the cat seen by both cameras');
    await cams[0]!.kill();
    await sub.until(() => last(sub, `${base}/cameras/a/status`) === 'offline', 8000, 'camera a offline');
    assert.is(JSON.parse(last(sub, `${base}/cameras/a/state`)!).state, 'lost');
    assert.is(last(sub, `${base}/cameras/b/status`), 'online');
    assert.is(last(sub, `${base}/cameras_online`), 'online', 'pets stay available while one camera is up');
    const h = await health();
    assert.equal([h.status, h.cameras.a!.status, h.cameras.b!.status], ['failing', 'failing', 'ok'], JSON.stringify(h));
    assert.match(h.checks.camera.reason ?? '', /^a: camera lost since /);
    // b still delivers: the cat is seen there, with b as its last camera.
    await sub.until(
      () => sub.json<PetState>(`${base}/pets/${CLIP_CAT}/state`).at(-1)?.last_camera === 'b',
      10_000,
      'seen on b after a went down',
    );
    await cams[1]!.kill();
    await sub.until(() => last(sub, `${base}/cameras_online`) === 'offline', 8000, 'every camera down');
    assert.is(last(sub, `${base}/cameras/b/status`), 'offline');
    const leftBefore = events(sub, base).filter((e) => e.type === 'left').length;
    // Twice the away time with nothing to see: away would be a guess.
    await new Promise((r) => setTimeout(r, 6500));
    const evs = events(sub, base);
    assert.is(evs.filter((e) => e.type === 'left').length, leftBefore, `no left while every camera is down: ${JSON.stringify(evs)}`);
    assert.ok(present(), 'still present');
    await d.waitForLine(/WARN gloves: camera [ab] still lost after/, 5000);
    // A camera coming back: online again, and pets available again.
    await cams[0]!.start();
    await sub.until(() => last(sub, `${base}/cameras/a/status`) === 'online', 20_000, 'camera a back');
    // Published just after the camera's own status: wait for it rather than race it.
    await sub.until(() => last(sub, `${base}/cameras_online`) === 'online', 5_000, 'pets available again');
  } finally {
    await sigterm(d);
    await sub.close();
    await Promise.all(cams.map((c) => c.kill()));
  }
});

test('a camera that fails to start degrades only itself', async () => {
  const { d, base } = start('halfstart', {
    cameras: [
      { id: 'pattern', uri: 'test://ball', width: 320, height: 240 },
      { id: 'gone', uri: 'v4l2:///dev/video97' },
    ],
  });
  const sub = await record(broker.url, [`${base}/#`]);
  try {
    await d.waitForLine(/camera gone failed to start: .*; the other cameras go on/, 60_000);
    await d.waitForLine(/INFO gloves: ready/, 30_000);
    await sub.until(() => last(sub, `${base}/cameras/gone/status`) === 'offline', 5000, 'gone offline');
    const gone = JSON.parse(last(sub, `${base}/cameras/gone/state`)!) as { state: string; error: string };
    assert.is(gone.state, 'failed');
    assert.ok(gone.error.length > 0);
    assert.is(last(sub, `${base}/cameras/pattern/status`), 'online');
    assert.is(last(sub, `${base}/cameras_online`), 'online');
  } finally {
    await sigterm(d);
    await sub.close();
  }
});

test.run();

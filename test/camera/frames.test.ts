/** Real GStreamer: frame counts, sizes, indices, loop, pacing, slideshow. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, copyFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createFrameSource, drainCameraPipelines, type Frame, type FrameSource } from '../../daemon/src/camera/index.js';
import { catClip, catsDir } from '../helpers/paths.js';
import { log, opts, within } from './helpers.js';

/** The clip's frame count, measured with gst-launch (8.92 s at 25 fps). */
const CLIP_FRAMES = 223;

async function readAll(src: FrameSource, max = Infinity): Promise<Frame[]> {
  const frames: Frame[] = [];
  while (frames.length < max) {
    const f = await src.next();
    if (!f) break;
    frames.push(f);
  }
  return frames;
}

test.after(() => drainCameraPipelines());

test('test:// delivers the requested frames at the configured size', async () => {
  for (const [width, height] of [
    [320, 240],
    [66, 50],
    [416, 416],
  ] as const) {
    const src = createFrameSource(opts('test://ball', { width, height }), { log });
    await within(10000, src.start(), 'start');
    const frames = await within(10000, readAll(src, 40), 'read');
    await src.stop();
    assert.is(frames.length, 40);
    for (const f of frames) {
      assert.is(f.image.width, width);
      assert.is(f.image.height, height);
      assert.is(f.image.data.length, width * height * 3, 'packed RGB, no row padding');
    }
    assert.equal(
      frames.map((f) => f.index),
      [...Array(40).keys()],
      'fast consumer: no gaps',
    );
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.timestampMs >= frames[i - 1]!.timestampMs, 'monotonic');
    assert.is(await src.next(), null, 'null after stop');
  }
});

test('test:// colours are RGB (red pattern)', async () => {
  const src = createFrameSource(opts('test://red', { width: 32, height: 32 }), { log });
  await src.start();
  const f = (await src.next())!;
  await src.stop();
  const [r, g, b] = f.image.data;
  assert.ok(r! > 200 && g! < 40 && b! < 40, `got ${r},${g},${b}`);
});

test('the cat clip delivers every frame at the configured size, then ends', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 640, height: 360 }), { log });
  let eos = 0;
  src.on('eos', ({ looping }) => {
    assert.is(looping, false);
    eos++;
  });
  await within(10000, src.start(), 'start');
  const frames = await within(30000, readAll(src), 'read');
  const st = src.stats();
  await src.stop();
  assert.is(frames.length + st.dropped, CLIP_FRAMES);
  assert.is(frames.length, CLIP_FRAMES, 'a consumer that keeps up gets every frame');
  assert.is(st.state, 'ended');
  assert.is(eos, 1);
  assert.ok(frames.every((f) => f.image.width === 640 && f.image.height === 360 && f.image.data.length === 640 * 360 * 3));
  // Not a frozen picture: some pixels change over the clip.
  const a = frames[0]!.image.data;
  const z = frames[CLIP_FRAMES - 1]!.image.data;
  let diff = 0;
  for (let i = 0; i < a.length; i += 97) diff += Math.abs(a[i]! - z[i]!);
  assert.ok(diff > 1000, `first and last frame differ (${diff})`);
});

test('a slow consumer of a file played at its own rate gets the newest frame and drops are counted', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 160, height: 90, realtime: true }), { log });
  await src.start();
  const got: Frame[] = [];
  for (;;) {
    const f = await src.next();
    if (!f) break;
    got.push(f);
    // Slower than the clip's 25 frames/s.
    await new Promise((r) => setTimeout(r, 60));
  }
  const st = src.stats();
  await src.stop();
  assert.ok(st.dropped > 0, 'dropped some');
  assert.is(got.length + st.dropped, CLIP_FRAMES, 'every frame is delivered or counted as dropped');
  assert.is(got[got.length - 1]!.index, CLIP_FRAMES - 1, 'the last frame wins');
  for (let i = 1; i < got.length; i++) assert.ok(got[i]!.index > got[i - 1]!.index);
});

test('unpaced, a file is decoded as fast as it is consumed: a slow consumer gets every frame, none dropped', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 160, height: 90 }), { log });
  await src.start();
  const got: number[] = [];
  for (;;) {
    const f = await src.next();
    if (!f) break;
    got.push(f.index);
    await new Promise((r) => setTimeout(r, 5));
  }
  const st = src.stats();
  await src.stop();
  assert.is(st.dropped, 0);
  assert.equal(got, [...Array(CLIP_FRAMES).keys()], 'every frame, in order');
});

test('loop restarts a file from the beginning', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 64, height: 36, loop: true }), { log });
  const loops: boolean[] = [];
  src.on('eos', ({ looping }) => loops.push(looping));
  await src.start();
  const frames = await within(30000, readAll(src, CLIP_FRAMES * 2 + 10), 'read');
  const st = src.stats();
  await src.stop();
  assert.is(frames.length, CLIP_FRAMES * 2 + 10);
  assert.ok(st.loops >= 2, `loops ${st.loops}`);
  assert.ok(loops.length >= 2 && loops.every((l) => l));
  // The frame after a loop is the clip's first frame again.
  const first = frames[0]!.image.data;
  const again = frames[CLIP_FRAMES]!.image.data;
  let diff = 0;
  for (let i = 0; i < first.length; i++) diff += Math.abs(first[i]! - again[i]!);
  assert.ok(diff / first.length < 2, `mean abs diff ${diff / first.length}`);
});

test('realtime test:// is paced at the configured fps', async () => {
  const src = createFrameSource(opts('test://smpte', { realtime: true, fps: 20 }), { log });
  await src.start();
  const frames = await readAll(src, 21);
  await src.stop();
  const secs = (frames[20]!.timestampMs - frames[0]!.timestampMs) / 1000;
  assert.ok(secs > 0.7 && secs < 2.5, `20 intervals took ${secs} s (1.0 expected)`);
});

test('a directory of photos of different sizes plays as a slideshow at the configured size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-slides-'));
  try {
    const cat = readdirSync(catsDir)[0]!;
    const photos = readdirSync(join(catsDir, cat)).slice(0, 5);
    for (const p of photos) copyFileSync(join(catsDir, cat, p), join(dir, p));
    await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } })
      .png()
      .toFile(join(dir, 'z1.png'));
    await sharp({ create: { width: 50, height: 400, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .grayscale()
      .jpeg()
      .toFile(join(dir, 'z2.jpg'));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const sizes = await Promise.all(
      readdirSync(dir)
        .filter((f) => !f.endsWith('.txt'))
        .map(async (f) => (await sharp(join(dir, f)).metadata()).width),
    );
    assert.ok(new Set(sizes).size >= 3, 'inputs really differ in size');

    const src = createFrameSource(opts(`file://${dir}`, { width: 200, height: 150, realtime: true, slideshowFps: 25 }), { log });
    await src.start();
    const frames = await within(15000, readAll(src), 'read');
    await src.stop();
    assert.is(frames.length, photos.length + 2);
    for (const f of frames) assert.is(f.image.data.length, 200 * 150 * 3);
    const grey = frames[frames.length - 1]!.image.data;
    assert.ok(grey[0] === grey[1] && grey[1] === grey[2], 'greyscale comes out as 3 equal channels');
    const span = (frames[frames.length - 1]!.timestampMs - frames[0]!.timestampMs) / 1000;
    assert.ok(span > 0.15, `paced at slideshowFps (${span} s for ${frames.length - 1} intervals)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('start/stop/start on one source and restart after end', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 64, height: 36 }), { log });
  for (let i = 0; i < 3; i++) {
    await src.start();
    const frames = await readAll(src, 5);
    assert.equal(
      frames.map((f) => f.index),
      [0, 1, 2, 3, 4],
      `run ${i} starts at the first frame`,
    );
    await src.stop();
    await src.stop();
    assert.is(src.stats().state, 'stopped');
  }
});

test.run();

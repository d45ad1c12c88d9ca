/**
 * The per-track embedding schedule (tracking/embed-schedule.ts), the tracker's
 * pre-embedding preview and embedding-less observations, crop sharpness, and
 * the embedder's per-call flip on the real model.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { EmbedSchedule, isSettled, type EmbedScheduleOptions } from '../../daemon/src/tracking/embed-schedule.js';
import { trackingSection } from '../../daemon/src/tracking/config.js';
import { Tracker, type Observation } from '../../daemon/src/tracking/tracker.js';
import { cropSharpness } from '../../daemon/src/kernels/sharpness.js';
import { createEmbedder } from '../../daemon/src/recognition/index.js';
import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import type { Box, MatchResult } from '../../daemon/src/recognition/types.js';
import type { TrackIdentity } from '../../daemon/src/tracking/voting.js';
import type { RgbImage } from '../../daemon/src/vision/image.js';
import { manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { clipFrames } from '../native/frames.js';

requireFixtures();
const o: EmbedScheduleOptions = trackingSection.parse({}).embedding;
const pending: TrackIdentity = { kind: 'pending' };
const named = (confidence: number): TrackIdentity => ({ kind: 'pet', pet: { petId: 'a', name: 'Appy' }, confidence });
const box: Box = [100, 100, 200, 180];

test('defaults: every frame while uncertain, every 2 s once settled at 0.99', () => {
  assert.equal(o, {
    uncertainEveryMs: 0,
    settledEveryMs: 2000,
    settledConfidence: 0.99,
    viewArea: 1.3,
    viewAspect: 1.25,
    viewSharper: 1.3,
    viewColour: 12,
  });
  assert.not.ok(isSettled(pending, 0.99));
  assert.not.ok(isSettled(named(0.98), 0.99));
  assert.ok(isSettled(named(0.995), 0.99));
  assert.ok(isSettled({ kind: 'unknown', confidence: 0.999 }, 0.99));
});

test('a new detection is embedded with the configured flip; an uncertain track every frame (or every uncertainEveryMs)', () => {
  const s = new EmbedSchedule(o);
  assert.equal(s.plan(null, box, 10, 0, true), { embed: true, flip: true, reason: 'new' });
  assert.equal(s.plan(null, box, 10, 0, false), { embed: true, flip: false, reason: 'new' });
  // A track the schedule has never seen embedded counts as new, too.
  assert.is(s.plan({ id: 1, identity: pending }, box, 10, 0, true).reason, 'new');
  s.embedded(1, box, 10, 0);
  for (let t = 40; t < 400; t += 40)
    assert.equal(s.plan({ id: 1, identity: named(0.9) }, box, 10, t, true), { embed: true, flip: true, reason: 'uncertain' });
  const slow = new EmbedSchedule({ ...o, uncertainEveryMs: 200 });
  slow.embedded(1, box, 10, 0);
  assert.is(slow.plan({ id: 1, identity: pending }, box, 10, 199, true).reason, 'skip');
  assert.is(slow.plan({ id: 1, identity: pending }, box, 10, 200, true).reason, 'uncertain');
});

test('a settled track is skipped until settledEveryMs, then embedded without flip', () => {
  const s = new EmbedSchedule(o);
  const t = { id: 3, identity: named(0.999) };
  s.embedded(3, box, 10, 1000);
  const jitter: Box = [102, 99, 203, 181];
  for (let ms = 1040; ms < 3000; ms += 40) assert.is(s.plan(t, jitter, 10.5, ms, true).reason, 'skip', `at ${ms}`);
  assert.equal(s.plan(t, jitter, 10, 3000, true), { embed: true, flip: false, reason: 'settled' });
  assert.equal(s.counters.skip, 49);
});

test('a settled track is embedded at once on a new view: area, aspect or a sharper crop', () => {
  const s = new EmbedSchedule(o);
  const t = { id: 4, identity: named(0.999) };
  s.embedded(4, box, 10, 0);
  const cases: [string, Box, number, string][] = [
    ['came closer', [90, 90, 215, 195], 10, 'view'], // area x1.64
    ['walked off', [120, 110, 190, 170], 10, 'view'], // area x0.53
    ['stood up', [110, 80, 190, 180], 10, 'view'], // aspect 1.25 -> 0.8
    ['sharper', box, 13, 'view'],
    ['blurrier', box, 5, 'skip'],
    ['a little bigger', [98, 98, 204, 184], 10, 'skip'],
  ];
  for (const [what, b, sharp, want] of cases) assert.is(s.plan(t, b, sharp, 500, true).reason, want, what);
  assert.equal(s.plan(t, box, 13, 500, true).flip, false);
  // Another animal in the same box: its colours differ.
  s.embedded(4, box, 10, 0, [120, 110, 100]);
  assert.is(s.plan(t, box, 10, 500, true, [125, 105, 108]).reason, 'skip', 'same look');
  assert.is(s.plan(t, box, 10, 500, true, [120, 140, 100]).reason, 'view', 'another look');
});

test('retain() forgets ended tracks; counters add up', () => {
  const s = new EmbedSchedule(o);
  s.embedded(1, box, 10, 0);
  s.embedded(2, box, 10, 0);
  s.retain([2]);
  assert.is(s.plan({ id: 1, identity: named(0.999) }, box, 10, 10, true).reason, 'new');
  assert.is(s.plan({ id: 2, identity: named(0.999) }, box, 10, 10, true).reason, 'skip');
  assert.equal(s.counters, { new: 1, uncertain: 0, settled: 0, view: 0, skip: 1, flipped: 1 });
});

const A = { petId: 'a', name: 'Appy' };
const yes: MatchResult = { pet: A, confidence: 0.95, scores: [{ petId: 'a', score: 0.9, llr: 4 }] };

test('tracker: preview() names the track update() continues; a detection without a match moves the track but adds no evidence', () => {
  const tr = new Tracker({ iouMatch: 0.3, maxMissedFrames: 2, minVotes: 3 });
  const at = (x: number): Box => [x, 10, x + 50, 60];
  const obs = (x: number, match?: MatchResult): Observation => ({ label: 'cat', score: 0.9, box: at(x), ...(match ? { match } : {}) });
  assert.equal(tr.preview([{ label: 'cat', box: at(0) }]), [null]);
  let v = tr.update([obs(0, yes)], 0);
  for (let i = 1; i < 3; i++) v = tr.update([obs(i * 2, yes)], i * 1000);
  assert.is(v[0]!.identity.kind, 'pet');
  const id = v[0]!.id;
  const p = tr.preview([
    { label: 'dog', box: at(6) },
    { label: 'cat', box: at(6) },
    { label: 'cat', box: [400, 400, 450, 450] },
  ]);
  assert.equal(
    p.map((x) => x?.id ?? null),
    [null, id, null],
  );
  const before = v[0]!.identity;
  v = tr.update([obs(6)], 3000);
  assert.equal([v[0]!.id, v[0]!.box, v[0]!.identity], [id, at(6), before]);
  // Not embedded on 10 frames: still the same track, never missed.
  for (let i = 0; i < 10; i++) v = tr.update([obs(8)], 3100 + i * 40);
  assert.equal([v[0]!.id, v[0]!.missed, v[0]!.hits], [id, 0, 14]);
});

let clip: RgbImage[] = [];
test.before(async () => {
  clip = (await clipFrames('RGB', 1)).map(({ width, height, data }) => ({ width, height, data }));
});

function boxBlur(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let n = 0;
        for (let dy = -2; dy <= 2; dy++)
          for (let dx = -2; dx <= 2; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            s += data[(yy * w + xx) * 3 + c]!;
            n++;
          }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
  return { width: w, height: h, data: out };
}

test('sharpness: a blurred crop is less sharp than the original; tiny or outside boxes are 0', () => {
  const img = clip[0]!;
  const whole = [0, 0, img.width, img.height];
  const sharp = cropSharpness(img, whole);
  const blurred = cropSharpness(boxBlur(img), whole);
  assert.ok(sharp > 1.3 * blurred, `${sharp} vs ${blurred}`);
  assert.ok(cropSharpness(img, [100, 100, 300, 250]) > 0);
  assert.is(cropSharpness(img, [10, 10, 11, 11]), 0);
  assert.is(cropSharpness(img, [700, 10, 800, 50]), 0);
  const flat: RgbImage = { width: 8, height: 8, data: new Uint8Array(192).fill(90) };
  assert.is(cropSharpness(flat, [0, 0, 8, 8]), 0);
});

test('embedder: flip per call overrides the configured one (real MobileNetV2)', async () => {
  const manifest = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));
  const session = await createOnnxRuntimeBackend({ threads: 1 }).load(manifest, join(modelsDir, manifest.file));
  try {
    const img = clip[0]!;
    const boxes: Box[] = [[150, 60, 420, 330]];
    const flipped = createEmbedder(manifest, session, { cropMargin: 0.1, flip: true });
    const plain = createEmbedder(manifest, session, { cropMargin: 0.1, flip: false });
    const [f] = await flipped.embed(img, boxes);
    const [p] = await plain.embed(img, boxes);
    assert.equal([...(await flipped.embed(img, boxes, { flip: false }))[0]!], [...p!]);
    assert.equal([...(await plain.embed(img, boxes, { flip: true }))[0]!], [...f!]);
    assert.not.equal([...f!], [...p!]);
  } finally {
    await session.dispose();
  }
});

test.run();

/**
 * Frequent visitors as local background for the matcher (recognition/matching/local-background.ts,
 * wired through the daemon's VisitorRecorder): hand-made vectors, a real VisitorRecorder and store
 * on a temporary gallery, the matcher the daemon builds (createMatcher). Edge cases: no visitors, a
 * visitor below the sightings bar, a visitor that is (nearly) a pet, a forgotten visitor, a named
 * visitor, another embedder's visitors, and the excess rule itself.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { l2normalize } from '../../daemon/src/recognition/embedding/embedder.js';
import type { GalleryPet, GalleryView } from '../../daemon/src/recognition/gallery/gallery.js';
import {
  cachedTransform,
  localExcess,
  localRows,
  type LocalBackgroundSource,
} from '../../daemon/src/recognition/matching/local-background.js';
import { createMatcher } from '../../daemon/src/recognition/matching/matcher.js';
import { VisitorStore } from '../../daemon/src/presence/visitor-store.js';
import { VisitorRecorder } from '../../daemon/src/runtime/visitor-recorder.js';
import type { UnknownSighting } from '../../daemon/src/presence/types.js';
import { silentLogger } from '../../daemon/src/log/logger.js';

const v = (...x: number[]): Float32Array => l2normalize(Float32Array.from(x));
const MODEL = 'emb@1';
// Mittens along z, Felix along y; the stranger (a Mittens look-alike) along x with some z.
const MITTENS = v(0, 0, 1);
const FELIX = v(0, 1, 0);
const STRANGER = v(1, 0, 0.8);
const THRESHOLD = 0.5;

function pet(id: string, e: Float32Array): GalleryPet {
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    createdAt: 't',
    photos: [{ id: 'p', crop: 'c.jpg', source: 's', label: 'cat', score: 1, box: [0, 0, 1, 1], addedAt: 't', embedding: e }],
  };
}

class FakeGallery implements GalleryView {
  readonly embedderModelId = MODEL;
  revision = 1;
  private list: GalleryPet[] = [pet('mittens', MITTENS), pet('felix', FELIX)];
  pets(): readonly GalleryPet[] {
    return this.list;
  }
  add(p: GalleryPet): void {
    this.list = [...this.list, p];
    this.revision++;
  }
}

const matchingCfg = {
  prototypes: 'mean',
  topK: 1,
  population: false,
  flipTta: true,
  statsDir: 'x',
  threshold: THRESHOLD,
  margin: 0,
} as const;

function setup(opts: { backgroundAfter?: number; weight?: number; guard?: number; prototypes?: 'mean' | 'each' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-localbg-'));
  const rec = new VisitorRecorder(
    new VisitorStore(dir, silentLogger()),
    { enabled: true, threshold: 0.45, maxVisitors: 10, maxCrops: 3, backgroundAfter: opts.backgroundAfter ?? 2, cropEveryMs: 0 },
    silentLogger(),
  );
  rec.start(MODEL, (e) => l2normalize(Float32Array.from(e)));
  const gallery = new FakeGallery();
  const cfg = { ...matchingCfg, prototypes: opts.prototypes ?? matchingCfg.prototypes };
  const matcher = createMatcher(gallery, cfg, undefined, { source: rec, weight: opts.weight ?? 1, guard: opts.guard ?? 0.2 });
  return { rec, gallery, matcher };
}

let trackNo = 1;
/** One unknown track of `e` through the recorder (as the frame loop does), with one crop kept directly. */
function sighting(rec: VisitorRecorder, e: Float32Array, nowMs: number): string {
  const track = trackNo++;
  const u: UnknownSighting[] = [{ confidence: 0.9, box: [0, 0, 80, 80], track, embedding: e }];
  rec.annotate(u, new Map([[track, e]]), nowMs, new Date(nowMs).toISOString());
  const id = u[0]!.visitor!;
  const book = rec.visitors!;
  if (book.get(id)!.crops.length === 0) book.addCrop(id, { file: `${track}.jpg`, quality: 80, embedding: e });
  return id;
}

test('localExcess: how much nearer the nearest row is than the pet, never negative; no rows, no excess', () => {
  assert.is(localExcess(v(1, 0, 0), [], 0.2), 0);
  assert.is(localExcess(v(1, 0, 0), undefined, 0.2), 0);
  assert.ok(Math.abs(localExcess(v(1, 0, 0), [v(1, 0, 0), v(0, 1, 0)], 0.25) - 0.75) < 1e-6);
  assert.is(localExcess(v(0, 0, 1), [v(1, 0, 0)], 0.25), 0);
});

test('no visitors: the matcher names the look-alike as before', () => {
  const { matcher } = setup();
  const r = matcher.match(STRANGER);
  assert.is(r.pet?.petId, 'mittens', 'cos 0.62 to Mittens clears 0.5');
});

test('a visitor below the sightings bar is not background; at the bar it is, and the look-alike becomes unknown', () => {
  const { rec, matcher } = setup({ backgroundAfter: 2 });
  const plain = matcher.match(STRANGER).scores.find((s) => s.petId === 'mittens')!.score;
  const id = sighting(rec, v(1, 0, 0.1), 1000);
  assert.is(rec.visitors!.get(id)!.sightings, 1);
  assert.is(matcher.match(STRANGER).pet?.petId, 'mittens', 'one sighting: not yet background');
  assert.is(matcher.match(STRANGER).scores.find((s) => s.petId === 'mittens')!.score, plain);
  assert.is(sighting(rec, v(1, 0.05, 0.1), 2000), id, 'the second track joins the same visitor');
  const r = matcher.match(STRANGER);
  assert.is(r.pet, null, 'nearer the visitor (0.83) than Mittens (0.62): unknown');
  const m = r.scores.find((s) => s.petId === 'mittens')!.score;
  assert.ok(m < plain - 0.1, `${m} vs ${plain}`);
  // Mittens herself, and Felix, are not touched: they are nearer their own photos than the visitor.
  assert.is(matcher.match(v(0.1, 0, 1)).pet?.petId, 'mittens');
  assert.is(matcher.match(v(0.1, 1, 0)).pet?.petId, 'felix');
});

test('a visitor that is (nearly) a pet is not background against that pet, only against the others', () => {
  const { rec, matcher } = setup({ backgroundAfter: 1, weight: 10 });
  // Mittens seen before she was enrolled: a visitor near her photos.
  sighting(rec, v(0.2, 0, 1), 1000);
  const q = v(0.5, 0, 1); // a Mittens photo towards x: nearer the visitor (0.97) than her prototype (0.89)
  assert.is(matcher.match(q).pet?.petId, 'mittens', 'guarded: Mittens does not become her own background');
  const { rec: rec2, matcher: unguarded } = setup({ backgroundAfter: 1, weight: 10, guard: -1.5 });
  sighting(rec2, v(0.2, 0, 1), 1000);
  assert.is(unguarded.match(q).pet, null, 'without the guard the same visitor would poison Mittens');
  // Against Felix the Mittens-visitor is background: a Felix query nearer it than Felix loses.
  const felixScore = (m: typeof matcher, e: Float32Array): number => m.match(e).scores.find((s) => s.petId === 'felix')!.score;
  const plain = setup({ weight: 10 }).matcher;
  const between = v(0, 0.75, 1);
  assert.ok(felixScore(matcher, between) < felixScore(plain, between) - 0.05);
});

test('a forgotten visitor is background no more', () => {
  const { rec, matcher } = setup({ backgroundAfter: 1 });
  const id = sighting(rec, v(1, 0, 0.1), 1000);
  assert.is(matcher.match(STRANGER).pet, null);
  assert.ok(rec.forget(id));
  assert.is(matcher.match(STRANGER).pet?.petId, 'mittens');
});

test('a named visitor: enrolled from its crops it is guarded against its new pet, and forgotten it is gone', () => {
  const { rec, gallery, matcher } = setup({ backgroundAfter: 1, weight: 10 });
  const e = v(1, 0, 0.1);
  const id = sighting(rec, e, 1000);
  // `visitors name VISITOR --name Tom`: its crops become Tom's photos (HttpVisitors.name), then the visitor is
  // forgotten. Tom also has a second photo, so a query can be nearer the visitor than Tom's mean.
  const tomPet = { ...pet('tom', e), photos: [...pet('tom', e).photos, ...pet('tom', v(1, 0.3, 0.1)).photos] };
  gallery.add(tomPet);
  const { gallery: g0, matcher: plain } = setup({ weight: 10 });
  g0.add(tomPet);
  const q = v(1, -0.2, 0.1);
  const tomScore = (m: typeof matcher): number => m.match(q).scores.find((s) => s.petId === 'tom')!.score;
  assert.is(tomScore(matcher), tomScore(plain), 'before it is forgotten, the visitor is no background against Tom');
  assert.ok(
    matcher.match(STRANGER).scores.find((s) => s.petId === 'mittens')!.score <
      plain.match(STRANGER).scores.find((s) => s.petId === 'mittens')!.score,
    'but it still is against Mittens',
  );
  rec.forget(id);
  assert.is(rec.groups(MODEL).length, 0);
  assert.equal(matcher.match(STRANGER).scores, plain.match(STRANGER).scores, 'forgotten: no background at all');
});

test("another embedder's visitors, or rows of another dimension, are never background", () => {
  const { rec } = setup({ backgroundAfter: 1 });
  sighting(rec, v(1, 0, 0.1), 1000);
  assert.is(rec.groups(MODEL).length, 1);
  assert.is(rec.groups('other@2').length, 0);
  assert.is(rec.groups(MODEL), rec.groups(MODEL), 'the same array while nothing changed (the matcher rebuilds on a new one)');
  const rows = localRows(
    [[v(1, 0, 0, 0)]],
    [{ petId: 'mittens', vectors: [MITTENS], spread: 0 }],
    cachedTransform(undefined),
    { threshold: 0.5, spreadWeight: 0 },
    0,
  );
  assert.equal(rows.get('mittens'), []);
});

test('weight 0: visitors change nothing', () => {
  const { rec, matcher } = setup({ backgroundAfter: 1, weight: 0 });
  sighting(rec, v(1, 0, 0.1), 1000);
  assert.is(matcher.match(STRANGER).pet?.petId, 'mittens');
});

test('per-photo prototypes (scores on another scale than the guard): visitors are not background', () => {
  const { rec, matcher } = setup({ backgroundAfter: 1, prototypes: 'each' });
  sighting(rec, v(1, 0, 0.1), 1000);
  assert.is(matcher.match(STRANGER).pet?.petId, 'mittens');
  const on = setup({ backgroundAfter: 1 });
  sighting(on.rec, v(1, 0, 0.1), 1000);
  assert.is(on.matcher.match(STRANGER).pet, null, 'the same visitor with the shipped rule is background');
});

test('localRows: a group is its unit mean; the guard compares its score against the pet with threshold - guard', () => {
  const src: LocalBackgroundSource = { groups: () => [[v(1, 0, 0), v(0.8, 0.6, 0)]] };
  const groups = src.groups(MODEL);
  const pets = [{ petId: 'a', vectors: [v(1, 0, 0)], spread: 0.4 }];
  // The row: unit mean of the two, cosine 0.949 to a. Score = 0.949 - 0.5 x 0.4 = 0.749.
  const at = (threshold: number, guard: number): number =>
    localRows(groups, pets, cachedTransform(undefined), { threshold, spreadWeight: 0.5 }, guard).get('a')!.length;
  assert.is(at(0.8, 0), 1, 'score 0.749 < 0.8: background');
  assert.is(at(0.8, 0.1), 0, 'score 0.749 >= 0.8 - 0.1: guarded');
  assert.is(at(0.7, 0), 0, 'score 0.749 >= 0.7: guarded');
});

test.run();

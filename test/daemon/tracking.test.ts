import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignMax } from '../../daemon/src/tracking/assignment.js';
import { iou } from '../../daemon/src/kernels/nms.js';
import { Tracker, type Observation } from '../../daemon/src/tracking/tracker.js';
import { Evidence, resolveIdentities } from '../../daemon/src/tracking/voting.js';
import type { Box, MatchResult } from '../../daemon/src/recognition/types.js';

const A = { petId: 'a', name: 'Appy' };
const B = { petId: 'b', name: 'Birba' };
const m = (pet: typeof A | null, confidence: number): MatchResult => ({ pet, confidence, scores: [] });
const obs = (box: Box, match: MatchResult): Observation => ({ label: 'cat', score: 0.9, box, match });
const opts = { iouMatch: 0.3, maxMissedFrames: 2, minVotes: 3, minConfidence: 0.5 };

test('iou of identical, disjoint and half-overlapping boxes', () => {
  assert.is(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.is(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 15, 10]) - 50 / 150) < 1e-9);
  assert.is(iou([0, 0, 0, 0], [0, 0, 0, 0]), 0);
});

test('assignMax finds the optimum where greedy fails, and respects minScore', () => {
  // Greedy would take (0,0)=0.9 then (1,1)=0.1; the optimum is (0,1)+(1,0)=1.6.
  const pairs = assignMax(
    [
      [0.9, 0.8],
      [0.8, 0.1],
    ],
    0.05,
  );
  const total = pairs.reduce((s, p) => s + p.score, 0);
  assert.ok(Math.abs(total - 1.6) < 1e-9, `total ${total}`);
  assert.equal(pairs.map((p) => [p.row, p.col]).sort(), [
    [0, 1],
    [1, 0],
  ]);
  assert.equal(assignMax([[0.2, 0.1]], 0.3), []);
  // Rectangular: 3 rows, 1 column -> exactly one pair, the best.
  const r = assignMax([[0.4], [0.7], [0.5]], 0);
  assert.equal(
    r.map((p) => p.row),
    [1],
  );
  assert.equal(assignMax([], 0), []);
});

test('assignMax is optimal on random matrices (brute force check)', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const perms = (n: number): number[][] =>
    n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + Math.floor(rnd() * 4);
    const s = Array.from({ length: n }, () => Array.from({ length: n }, () => rnd()));
    const best = Math.max(...perms(n).map((p) => p.reduce((acc, c, r) => acc + s[r]![c]!, 0)));
    const got = assignMax(s, 0).reduce((a, p) => a + p.score, 0);
    assert.ok(Math.abs(best - got) < 1e-9, `trial ${trial}: ${got} vs ${best}`);
  }
});

test('a track keeps its id across frames by IoU and a far box starts a new track', () => {
  const t = new Tracker(opts);
  const f1 = t.update([obs([10, 10, 100, 100], m(A, 0.9))], 0);
  const f2 = t.update([obs([14, 12, 104, 102], m(A, 0.9))], 100);
  assert.is(f1[0]!.id, f2[0]!.id);
  const f3 = t.update([obs([300, 300, 400, 400], m(A, 0.9))], 200);
  assert.is.not(f3[0]!.id, f1[0]!.id);
});

test('identity needs minVotes frames of evidence, not one frame', () => {
  const t = new Tracker(opts);
  const box: Box = [10, 10, 100, 100];
  assert.is(t.update([obs(box, m(A, 0.95))], 0)[0]!.identity.kind, 'pending');
  assert.is(t.update([obs(box, m(A, 0.95))], 1)[0]!.identity.kind, 'pending');
  const third = t.update([obs(box, m(A, 0.95))], 2)[0]!.identity;
  assert.is(third.kind, 'pet');
  if (third.kind === 'pet') assert.is(third.pet.petId, 'a');
});

test('one confident wrong frame does not rename a track; mixed weak evidence stays pending', () => {
  const t = new Tracker(opts);
  const box: Box = [10, 10, 100, 100];
  for (let i = 0; i < 4; i++) t.update([obs(box, m(A, 0.9))], i);
  const v = t.update([obs(box, m(B, 1))], 5)[0]!.identity;
  assert.is(v.kind, 'pet');
  if (v.kind === 'pet') assert.is(v.pet.petId, 'a');

  const e = new Evidence();
  [m(A, 0.6), m(B, 0.6), m(null, 0.6), m(A, 0.6)].forEach((x) => e.add(x));
  assert.is(e.decide(opts).kind, 'pending');
});

test('a stranger becomes unknown from accumulated unknown evidence', () => {
  const e = new Evidence();
  [m(null, 0.9), m(null, 0.8), m(A, 0.6)].forEach((x) => e.add(x));
  const d = e.decide(opts);
  assert.is(d.kind, 'unknown');
});

/** A match with calibrated per-pet llrs (what the LLR-calibrated matcher produces). */
const ml = (llrA: number, llrB: number): MatchResult => {
  const scores = [
    { petId: 'a', score: llrA, llr: llrA },
    { petId: 'b', score: llrB, llr: llrB },
  ].sort((x, y) => y.score - x.score);
  return { pet: scores[0]!.llr > 0 ? (scores[0]!.petId === 'a' ? A : B) : null, confidence: 0.6, scores };
};
/** Distinct views: unit vectors far apart (cosine 0), so every frame is informative. */
const view = (i: number): Float32Array => Float32Array.from({ length: 64 }, (_, k) => (k === i % 64 ? 1 : 0));

test('ten marginal rejections (different views) make a confident unknown; three do not', () => {
  const e = new Evidence();
  for (let i = 0; i < 10; i++) {
    e.add(ml(-0.5, -0.6), { embedding: view(i), timeMs: i * 100 });
    if (i === 2) assert.is(e.decide(opts).kind, 'pending', 'three marginal frames are not enough');
  }
  const d = e.decide(opts);
  assert.is(d.kind, 'unknown');
  if (d.kind === 'unknown') assert.ok(d.confidence >= 0.95, String(d.confidence));
  // And ten marginal accepts make a confident name.
  const f = new Evidence();
  for (let i = 0; i < 10; i++) f.add(ml(0.6, -1), { embedding: view(i), timeMs: i * 100 });
  const n = f.decide(opts);
  assert.ok(n.kind === 'pet' && n.pet.petId === 'a', JSON.stringify(n));
});

test('identical frames do not count repeatedly (until the view is old), tiny boxes not at all', () => {
  const e = new Evidence();
  const still = view(1);
  for (let i = 0; i < 30; i++) e.add(ml(-0.9, -1), { embedding: still, timeMs: i * 20 });
  assert.ok(Math.abs(e.weight - 1) < 1e-9, `30 identical frames within a second weigh ${e.weight}`);
  assert.is(e.frames, 30);
  assert.is(e.decide(opts).kind, 'pending', 'one marginal view is not a confident unknown');
  // A still animal counts again once its view is older than viewTtlMs (1 s): a stranger who stays is announced.
  for (let s = 1; s <= 4; s++) e.add(ml(-0.9, -1), { embedding: still, timeMs: 600 + s * 1000 });
  assert.is(e.decide(opts).kind, 'unknown');
  const tiny = new Evidence();
  assert.is(tiny.add(ml(3, -3), { box: [0, 0, 10, 10] }), 0);
  assert.is(tiny.weight, 0);
});

test('a turned track splits: a new id continues from the recent frames', () => {
  const t = new Tracker({ ...opts, appearanceGate: 0 });
  const box: Box = [10, 10, 200, 200];
  let v = t.update([{ ...obs(box, ml(3, -3)), embedding: view(0) }], 0)[0]!;
  for (let i = 1; i < 5; i++) v = t.update([{ ...obs(box, ml(3, -3)), embedding: view(i) }], i * 100)[0]!;
  assert.ok(v.identity.kind === 'pet' && v.identity.pet.petId === 'a');
  const first = v.id;
  // Another cat at the same spot: B's evidence in the following views.
  for (let i = 5; i < 9; i++) v = t.update([{ ...obs(box, ml(-3, 3)), embedding: view(i) }], i * 100)[0]!;
  assert.is.not(v.id, first, 'split into a new track');
  assert.ok(v.identity.kind === 'pet' && v.identity.pet.petId === 'b', JSON.stringify(v.identity));
  assert.not.ok(
    t.all().some((x) => x.id === first),
    'the old track ended',
  );
  // A single contrary frame does not split.
  const u = new Tracker({ ...opts, appearanceGate: 0 });
  let w = u.update([{ ...obs(box, ml(3, -3)), embedding: view(0) }], 0)[0]!;
  for (let i = 1; i < 5; i++) w = u.update([{ ...obs(box, ml(3, -3)), embedding: view(i) }], i * 100)[0]!;
  const id = w.id;
  u.update([{ ...obs(box, ml(-3, 3)), embedding: view(6) }], 600);
  w = u.update([{ ...obs(box, ml(3, -3)), embedding: view(7) }], 700)[0]!;
  assert.is(w.id, id);
});

test('two tracks in one frame never get the same pet (one-to-one)', () => {
  const t = new Tracker(opts);
  const left: Box = [0, 0, 100, 100];
  const right: Box = [300, 0, 400, 100];
  let views = t.update([obs(left, m(A, 0.9)), obs(right, m(A, 0.7))], 0);
  for (let i = 1; i < 4; i++) {
    // The right cat looks like A more weakly but like B sometimes.
    views = t.update([obs(left, m(A, 0.9)), obs(right, i % 2 ? m(B, 0.9) : m(A, 0.7))], i);
  }
  const names = views.map((v) => (v.identity.kind === 'pet' ? v.identity.pet.petId : v.identity.kind));
  assert.is(names[0], 'a');
  assert.is.not(names[1], 'a');
  // With only A-evidence, the weaker track must not be named at all.
  const ev1 = new Evidence();
  const ev2 = new Evidence();
  for (let i = 0; i < 3; i++) {
    ev1.add(m(A, 0.9));
    ev2.add(m(A, 0.6));
  }
  const r = resolveIdentities([ev1, ev2], opts);
  assert.is(r[0]!.kind, 'pet');
  assert.is(r[1]!.kind, 'pending');
});

test('tracks end after maxMissedFrames without a detection', () => {
  const t = new Tracker(opts);
  const id = t.update([obs([0, 0, 50, 50], m(A, 0.9))], 0)[0]!.id;
  t.update([], 1);
  t.update([], 2);
  assert.is(t.all().length, 1);
  assert.is(t.update([obs([0, 0, 50, 50], m(A, 0.9))], 3)[0]!.id, id, 'survives 2 misses');
  t.update([], 4);
  t.update([], 5);
  t.update([], 6);
  assert.is(t.all().length, 0);
  assert.is.not(t.update([obs([0, 0, 50, 50], m(A, 0.9))], 7)[0]!.id, id);
});

test('a cat and a dog never share a track even when boxes overlap', () => {
  const t = new Tracker(opts);
  const a = t.update([obs([0, 0, 50, 50], m(A, 0.9))], 0)[0]!.id;
  const dog: Observation = { label: 'dog', score: 0.9, box: [0, 0, 50, 50], match: m(null, 0.9) };
  assert.is.not(t.update([dog], 1)[0]!.id, a);
});

test('appearance gate: a different-looking animal in the same spot starts a new track', () => {
  const t = new Tracker({ ...opts, appearanceGate: 0.8 });
  const e1 = new Float32Array([1, 0, 0]);
  const e1b = new Float32Array([0.95, 0.31, 0]);
  const e2 = new Float32Array([0, 1, 0]);
  const box: Box = [0, 0, 100, 100];
  const id = t.update([{ ...obs(box, m(A, 0.9)), embedding: e1 }], 0)[0]!.id;
  assert.is(t.update([{ ...obs(box, m(A, 0.9)), embedding: e1b }], 1)[0]!.id, id, 'similar look continues');
  const other = t.update([{ ...obs(box, m(null, 0.9)), embedding: e2 }], 2)[0]!;
  assert.is.not(other.id, id);
  assert.is(other.hits, 1, 'fresh evidence');
  // Without a gate the same sequence continues the track.
  const u = new Tracker(opts);
  const uid = u.update([{ ...obs(box, m(A, 0.9)), embedding: e1 }], 0)[0]!.id;
  assert.is(u.update([{ ...obs(box, m(null, 0.9)), embedding: e2 }], 1)[0]!.id, uid);
});

test('blurred frames weigh less: relative to the sharpest crop of the track, none at or below blurLo', () => {
  const e = new Evidence();
  assert.is(e.add(ml(-0.5, -0.6), { embedding: view(0), timeMs: 0, sharpness: 10 }), 1);
  assert.is(e.add(ml(-0.5, -0.6), { embedding: view(1), timeMs: 100, sharpness: 3 }), 0, '0.3 of the sharpest counts for nothing');
  const half = e.add(ml(-0.5, -0.6), { embedding: view(2), timeMs: 200, sharpness: 5.25 });
  assert.ok(Math.abs(half - 0.5) < 1e-9, `halfway between blurLo and blurHi weighs ${half}`);
  assert.is(e.add(ml(-0.5, -0.6), { embedding: view(3), timeMs: 300, sharpness: 20 }), 1, 'a sharper crop counts fully and raises the bar');
  const w5 = e.add(ml(-0.5, -0.6), { embedding: view(4), timeMs: 400, sharpness: 10 });
  assert.ok(Math.abs(w5 - (0.5 - 0.35) / 0.35) < 1e-9, `half the new sharpest weighs ${w5}`);
  // Only recent crops at about the same scale compare: a cat walking closer (box x4, lower 1-px gradient) counts fully,
  // and one outlier look is forgotten after blurMemoryMs.
  const walk = new Evidence();
  walk.add(ml(-0.5, -0.6), { embedding: view(0), timeMs: 0, box: [0, 0, 50, 50], sharpness: 10 });
  assert.is(walk.add(ml(-0.5, -0.6), { embedding: view(1), timeMs: 100, box: [0, 0, 100, 100], sharpness: 3 }), 1);
  assert.is(walk.add(ml(-0.5, -0.6), { embedding: view(2), timeMs: 200, box: [0, 0, 110, 100], sharpness: 1 }), 0, 'same scale, blurred');
  assert.is(
    walk.add(ml(-0.5, -0.6), { embedding: view(3), timeMs: 2300, box: [0, 0, 110, 100], sharpness: 1 }),
    1,
    'the sharper looks are over 2 s old',
  );
  // A stranger running past (blurred frames after one sharp look) is not declared unknown from blur alone.
  const run = new Evidence();
  run.add(ml(-0.9, -1), { embedding: view(0), timeMs: 0, sharpness: 12 });
  for (let i = 1; i < 10; i++) run.add(ml(-0.9, -1), { embedding: view(i), timeMs: i * 100, sharpness: 3 });
  assert.is(run.decide(opts).kind, 'pending');
  // Through the tracker: an observation's sharpness reaches the evidence (the same frames, sharp, make an unknown).
  const identityAfter = (blurred: number): string => {
    const t = new Tracker(opts);
    let last = t.update([{ ...obs([0, 0, 100, 100], ml(-0.9, -1)), embedding: view(0), sharpness: 12 }], 0);
    for (let i = 1; i < 10; i++)
      last = t.update([{ ...obs([0, 0, 100, 100], ml(-0.9, -1)), embedding: view(i), sharpness: blurred }], i * 100);
    return last[0]!.identity.kind;
  };
  assert.is(identityAfter(2), 'pending');
  assert.is(identityAfter(12), 'unknown');
});

test.run();

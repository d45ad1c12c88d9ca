/**
 * Decision rules beyond the plain threshold, on hand-made vectors: the background
 * rule (a query nearer a known non-pet cat than to the pet is pushed to unknown)
 * and the out-of-fold false-accept estimate the statistics record as their prediction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { falseAcceptAt, outOfFoldEstimate, thresholdForEnrolled } from '../../daemon/src/evaluation/open-set.js';
import { innerSplits, predictedFor } from '../../daemon/src/evaluation/crossval.js';
import type { QueryOutcome } from '../../daemon/src/evaluation/outcomes.js';
import { l2normalize } from '../../daemon/src/recognition/embedding/embedder.js';
import {
  buildPrototypes,
  decide,
  decisionRule,
  nearestBackground,
  scorePets,
  type DecisionRule,
} from '../../daemon/src/recognition/matching/matcher.js';
import { parseStats, serializeStats, type PopulationStats } from '../../daemon/src/recognition/matching/stats.js';

const v = (...x: number[]): Float32Array => l2normalize(Float32Array.from(x));
const rule = (backgroundWeight: number): DecisionRule => ({
  prototypes: 'mean',
  topK: 1,
  threshold: 0.5,
  margin: 0,
  slope: 10,
  offset: 0,
  spreadWeight: 0,
  defaultSpread: 0,
  backgroundWeight,
});
// Background cats along x and y; the pet along z.
const cohort = { rows: 2, data: Float32Array.from([1, 0, 0, 0, 1, 0]) };
const stats = (withCohort: boolean): PopulationStats => ({
  embedderModelId: 'm@1',
  dim: 3,
  mean: new Float32Array(3),
  ...(withCohort ? { cohort } : {}),
  calibration: { threshold: 0.5, margin: 0, slope: 10, offset: 0, method: 't', backgroundWeight: 2 },
});
const pet = [{ id: 'mittens', name: 'Mittens', embeddings: [v(0, 0, 1)] }];
const names = new Map([['mittens', 'Mittens']]);

test('nearestBackground: the highest cosine to any cohort row', () => {
  assert.ok(Math.abs(nearestBackground(v(1, 1, 0), cohort) - Math.SQRT1_2) < 1e-6);
  assert.ok(Math.abs(nearestBackground(v(0, 0, 1), cohort)) < 1e-6);
});

test('background rule: a query nearer the pet than any background cat keeps its score', () => {
  const protos = buildPrototypes(pet, rule(2), undefined);
  const q = v(0.3, 0, 1);
  const plain = scorePets(q, protos, rule(0))[0]!.score;
  const bg = scorePets(q, protos, rule(2), stats(true))[0]!.score;
  assert.ok(Math.abs(plain - bg) < 1e-9, `${plain} vs ${bg}`);
  assert.is(decide(scorePets(q, protos, rule(2), stats(true)), names, rule(2)).pet?.name, 'Mittens');
});

test('background rule: a query nearer a background cat loses weight x the excess and becomes unknown', () => {
  const protos = buildPrototypes(pet, rule(2), undefined);
  const q = v(1, 0, 0.8); // cos to pet 0.62 (would be named), to background x 0.78
  const c = 0.8 / Math.hypot(1, 0.8);
  const b = 1 / Math.hypot(1, 0.8);
  assert.is(decide(scorePets(q, protos, rule(0), stats(true)), names, rule(0)).pet?.name, 'Mittens');
  const s = scorePets(q, protos, rule(2), stats(true));
  assert.ok(Math.abs(s[0]!.score - (c - 2 * (b - c))) < 1e-6, String(s[0]!.score));
  assert.is(decide(s, names, rule(2)).pet, null);
});

test('background rule: without a cohort in the statistics it changes nothing', () => {
  const protos = buildPrototypes(pet, rule(2), undefined);
  const q = v(1, 0, 0.8);
  assert.equal(scorePets(q, protos, rule(2), stats(false)), scorePets(q, protos, rule(0), stats(false)));
});

test('background rule: read from the calibration, and the statistics round-trip with it', () => {
  const cfg = { prototypes: 'mean', topK: 1, population: true, flipTta: true, statsDir: 'x' } as const;
  const st = parseStats(JSON.parse(JSON.stringify(serializeStats(stats(true), 'test'))), 'test');
  assert.is(st.cohort?.rows, 2);
  assert.is(decisionRule(cfg, st).backgroundWeight, 2);
  assert.is(decisionRule({ ...cfg, population: false }, st).backgroundWeight, undefined);
});

function impostor(open: number): QueryOutcome {
  return { pet: 'a', file: 'f', closed: 'a', closedBest: 'a', open: null, detected: true, closedScores: [0.9, 0], openScores: [open, 0] };
}

/** Every m-subset of the others, by brute force: the fraction whose best clears t. */
function bruteForce(imp: number[], t: number, m: number): number {
  let hit = 0;
  let all = 0;
  const rec = (start: number, left: number, best: number): void => {
    if (left === 0) {
      all++;
      if (best >= t) hit++;
      return;
    }
    for (let i = start; i < imp.length; i++) rec(i + 1, left - 1, Math.max(best, imp[i]!));
  };
  rec(0, m, -Infinity);
  return hit / all;
}

test('falseAcceptAt: exact over random households of m enrolled pets; undetected queries count as rejected', () => {
  const imp = [0.9, 0.5, 0.45, 0.3, 0.2, 0.1];
  for (const m of [1, 2, 3, 6])
    for (const t of [0.05, 0.4, 0.6, 1]) {
      const exact = bruteForce(imp, t, m);
      assert.ok(Math.abs(falseAcceptAt([imp], t, m) - exact) < 1e-12, `m ${m} t ${t}`);
    }
  assert.is(falseAcceptAt([imp], 0.4, 9), 1, 'more pets than others: all of them');
  assert.is(falseAcceptAt([imp, null], 0.4, 6), 0.5);
  assert.is(falseAcceptAt([], 0.4, 2), 0);
});

test('thresholdForEnrolled: the lowest threshold meeting the target, stricter for larger households', () => {
  const imps = Array.from({ length: 40 }, (_, q) => Array.from({ length: 6 }, (_, k) => ((q * 7 + k * 13) % 50) / 50));
  for (const m of [1, 2, 4]) {
    const t = thresholdForEnrolled(imps, 0.05, m);
    assert.ok(falseAcceptAt(imps, t, m) <= 0.05, `m ${m}`);
    assert.ok(falseAcceptAt(imps, t - 0.021, m) > 0.05, `m ${m}: not the lowest`);
  }
  assert.ok(thresholdForEnrolled(imps, 0.05, 4) > thresholdForEnrolled(imps, 0.05, 1));
  assert.ok(thresholdForEnrolled(imps, 1, 2) < 0, 'target 1 accepts everything');
  assert.is(thresholdForEnrolled([], 0.05, 2), -1);
});

test('outOfFoldEstimate: (accepts + 1) / (n + 1) per household size, top1 at the threshold', () => {
  const opens = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95];
  const oof = opens.map(impostor);
  const imps = opens.map((o) => [o, 0]);
  const none = outOfFoldEstimate(oof, imps, 0.99);
  assert.is(none.top1, 0);
  assert.is(none.byEnrolled.length, 2, 'only household sizes the folds could show');
  assert.ok(none.byEnrolled.every((p) => Math.abs(p - 1 / 10) < 1e-12));
  const e = outOfFoldEstimate(oof, imps, 0.65);
  assert.ok(Math.abs(e.byEnrolled[1]! - 4 / 10) < 1e-12, 'two pets enrolled: both others, 3 accepted');
  assert.ok(Math.abs(e.byEnrolled[0]! - (1.5 + 1) / 10) < 1e-12, 'one pet: half the time the clearing one');
  assert.is(e.false_accept, e.byEnrolled[1], 'the reference household, capped at what the folds show');
  assert.is(e.top1, 1);
});

test('predictedFor: the household-size prediction, capped, with older files falling back to their one number', () => {
  const st = (predicted: object): PopulationStats =>
    ({ ...stats(false), calibration: { ...stats(false).calibration, predicted } }) as PopulationStats;
  const byEnrolled = [0.01, 0.02, 0.03, 0.04];
  assert.is(predictedFor(st({ false_accept: 0.04, top1: 0.8, target: 0.03, folds: 2, byEnrolled }), 2), 0.02);
  assert.is(predictedFor(st({ false_accept: 0.04, top1: 0.8, target: 0.03, folds: 2, byEnrolled }), 20), 0.04);
  assert.is(predictedFor(st({ false_accept: 0.04, top1: 0.8, target: 0.03, folds: 2 }), 2), 0.04);
  assert.ok(Number.isNaN(predictedFor(stats(false), 2)));
});

test('innerSplits: each repeat partitions every cat once; the first is the sorted round-robin; deterministic', () => {
  const pets = ['f', 'e', 'd', 'c', 'b', 'a', 'g'];
  const s = innerSplits(pets, 3, 4);
  assert.is(s.length, 12);
  assert.equal(s.slice(0, 3), [
    ['a', 'd', 'g'],
    ['b', 'e'],
    ['c', 'f'],
  ]);
  for (let r = 0; r < 4; r++)
    assert.equal(
      s
        .slice(r * 3, r * 3 + 3)
        .flat()
        .sort(),
      [...pets].sort(),
    );
  assert.ok(new Set(s.map((g) => g.join())).size > 3, 'later repeats split differently');
  assert.equal(innerSplits(pets, 3, 4), s);
});

test.run();

/**
 * The honest fold protocol (pure parts, synthetic embeddings): no fitted statistic
 * sees a scored (evaluated or enrolled) cat, the operating curve and EER, the LLR
 * and cohort rules, track-level sequences, and the fit-stats trainer command.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCode } from '../../daemon/src/errors.js';
import { fitLlr } from '../../daemon/src/evaluation/calibrate.js';
import { crossValidate, DEFAULT_RECIPE, fitRecipe, petFolds, type RecipeOptions } from '../../daemon/src/evaluation/crossval.js';
import { operatingCurve } from '../../daemon/src/evaluation/curve.js';
import type { EmbeddedPhoto } from '../../daemon/src/evaluation/dataset.js';
import { l2normalize } from '../../daemon/src/recognition/embedding/embedder.js';
import { saveEmbeddedCache } from '../../daemon/src/evaluation/embedded-cache.js';
import type { QueryOutcome } from '../../daemon/src/evaluation/evaluate.js';
import { cohortMoments } from '../../daemon/src/recognition/matching/matcher.js';
import { evaluateSequences } from '../../daemon/src/evaluation/sequences.js';
import { parseStats } from '../../daemon/src/recognition/matching/stats.js';
import { fitStatsCommand } from '../../calibration/src/cli/commands/fit-stats.js';
import { createLogger } from '../../daemon/src/log/logger.js';

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** Synthetic cats: a random centre each plus noise; cat names c00..cNN. */
function synthetic(pets: number, photos: number, dim: number, seed: number, noise = 0.35): EmbeddedPhoto[] {
  const r = rng(seed);
  const out: EmbeddedPhoto[] = [];
  for (let p = 0; p < pets; p++) {
    const c = Array.from({ length: dim }, () => r());
    for (let k = 0; k < photos; k++) {
      const e = l2normalize(Float32Array.from(c, (v) => v + noise * r()));
      out.push({ pet: `c${String(p).padStart(2, '0')}`, file: `${p}/${String(k).padStart(2, '0')}.jpg`, detection: null, embedding: e });
    }
  }
  return out;
}

const items = synthetic(9, 10, 24, 11);

test('petFolds: sorted round-robin, and a clear error for impossible fold counts', () => {
  assert.equal(petFolds(['d', 'a', 'c', 'b', 'e'], 2), [
    ['a', 'c', 'e'],
    ['b', 'd'],
  ]);
  for (const bad of [1, 6, 2.5]) {
    try {
      petFolds(['a', 'b', 'c', 'd', 'e'], bad);
      assert.unreachable();
    } catch (err) {
      assert.ok(hasCode(err, 'EVAL_FOLDS_INVALID'), String(err));
      assert.match((err as Error).message, '--folds');
    }
  }
});

test('fold protocol: no fitted statistic ever sees a scored (evaluated or enrolled) cat', () => {
  const calls: string[][] = [];
  const opts: RecipeOptions = { ...DEFAULT_RECIPE, spreadWeights: [0, 0.5], cohortTopN: 3, onFit: (p) => calls.push([...p]) };
  const cv = crossValidate(items, 'synthetic@1', 3, opts);
  assert.is(cv.folds.length, 3);
  const all = [...new Set(items.map((i) => i.pet))];
  let k = 0;
  for (const f of cv.folds) {
    // Per outer fold: the inner fits (one per inner fold) and the final fit, all on this fold's training cats.
    const perFold = DEFAULT_RECIPE.innerFolds * DEFAULT_RECIPE.innerRepeats + 1;
    const fits = calls.slice(k, k + perFold);
    k += perFold;
    for (const pets of fits) for (const p of pets) assert.not.ok(f.scored.includes(p), `fit on ${pets} includes scored cat ${p}`);
    assert.equal(fits[fits.length - 1], all.filter((p) => !f.scored.includes(p)).sort(), 'the final fit uses every other cat');
    assert.equal(f.fitted, fits[fits.length - 1]);
    // Every scored query and every enrolled pet belongs to the fold.
    for (const q of f.queries) {
      assert.ok(f.scored.includes(q.pet));
      for (const s of q.scores ?? []) assert.ok(f.scored.includes(s.petId));
    }
    // The cohort shipped with the fold's statistics holds only training cats' vectors.
    assert.is(f.stats.cohort?.rows, f.fitted.length);
  }
  assert.is(k, calls.length, 'no other fits');
  assert.equal(cv.folds.flatMap((f) => f.scored).sort(), all.sort(), 'every cat is scored exactly once');
  assert.ok(cv.top1 > 0.5 && cv.false_accept <= 0.3, JSON.stringify({ top1: cv.top1, fa: cv.false_accept }));
  assert.equal(
    cv.curve.map((c) => c.max_false_accept),
    [0.01, 0.05, 0.1],
  );
});

test('fitRecipe records its calibration and prediction, and its statistics parse', () => {
  const f = fitRecipe(items, 'synthetic@1', DEFAULT_RECIPE);
  const c = f.stats.calibration;
  assert.ok(Number.isFinite(c.threshold) && c.llr && c.llr.slope > 0, JSON.stringify(c));
  assert.is(c.predicted?.folds, DEFAULT_RECIPE.innerFolds);
  assert.ok(c.predicted!.false_accept >= 0 && c.predicted!.false_accept <= 1);
});

function outcome(pet: string, closedBest: string, closed: number, open: number): QueryOutcome {
  return { pet, file: 'x', closed: closedBest, closedBest, open: null, detected: true, closedScores: [closed, -1], openScores: [open, -1] };
}

test('operating curve: perfect separation, total overlap, and a miss counted as wrong', () => {
  const perfect = [outcome('a', 'a', 0.9, 0.1), outcome('b', 'b', 0.8, 0.2)];
  const p = operatingCurve(perfect);
  assert.equal(
    p.curve.map((c) => c.top1),
    [1, 1, 1],
  );
  assert.is(p.eer, 0);
  // Impostors always above genuine: at FA <= 0.01 nothing can be accepted.
  const bad = [outcome('a', 'a', 0.2, 0.9), outcome('b', 'b', 0.1, 0.8)];
  const b = operatingCurve(bad);
  assert.equal(
    b.curve.map((c) => c.top1),
    [0, 0, 0],
  );
  assert.ok(b.eer >= 0.5);
  // A query whose best pet is wrong never counts for top1, whatever the threshold.
  const wrong = operatingCurve([outcome('a', 'b', 0.9, 0.1), outcome('b', 'b', 0.8, 0.1)]);
  assert.is(wrong.curve[2]!.top1, 0.5);
  assert.equal(
    operatingCurve([]).curve.map((c) => c.top1),
    [0, 0, 0],
  );
});

test('fitLlr: zero at the crossing of two symmetric score groups, positive slope; needs both classes', () => {
  const q = (pet: string, own: number, other: number) => ({
    pet,
    file: 'f',
    vector: null,
    scores: [
      { petId: pet, score: own },
      { petId: 'zz', score: other },
    ],
  });
  const llr = fitLlr([q('a', 0.6, 0.2), q('a', 0.5, 0.3), q('a', 0.7, 0.1), q('a', 0.3, 0.5)]);
  assert.ok(llr.slope > 0);
  assert.ok(Math.abs(llr.slope * 0.4 + llr.offset) < 0.05, JSON.stringify(llr));
  assert.throws(() => fitLlr([{ pet: 'a', file: 'f', vector: null, scores: [{ petId: 'a', score: 1 }] }]), /genuine and impostor/);
});

test('cohortMoments: top-N mean and spread, N clipped to the cohort size', () => {
  const cohort = { rows: 3, data: Float32Array.from([1, 0, 0, 1, -1, 0]) };
  const m = cohortMoments(Float32Array.from([1, 0]), cohort, 2);
  assert.ok(Math.abs(m.mu - 0.5) < 1e-6 && Math.abs(m.sd - 0.501) < 1e-3, JSON.stringify(m));
  assert.ok(Math.abs(cohortMoments(Float32Array.from([1, 0]), cohort, 99).mu - 0) < 1e-6);
});

test('sequences: tracks of L photos through the daemon evidence; longer tracks do no worse here', () => {
  const cv = crossValidate(items, 'synthetic@1', 3, DEFAULT_RECIPE);
  const s3 = evaluateSequences(cv, 3);
  assert.is(s3.tracks, 9 * Math.floor(7 / 3));
  const s1 = evaluateSequences(cv, 1, { minVotes: 1 });
  assert.ok(s3.top1 >= s1.top1 - 0.1, `${s3.top1} vs ${s1.top1}`);
  assert.ok(s3.false_accept <= 0.2);
});

test('gloves-trainer fit-stats writes statistics fitted with the fold code (from an embedding cache)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-fit-stats-'));
  const cache = join(dir, 'cache.json');
  writeFileSync(cache, saveEmbeddedCache('synthetic@1', items));
  const out: string[] = [];
  const log = createLogger('t', { level: 'error', sink: () => undefined });
  const ctx = {
    argv: ['--embeddings', cache, '--out', join(dir, 'stats'), '--target', '0.05'],
    env: {},
    stdout: (l: string) => out.push(l),
    stderr: () => undefined,
    log,
  };
  assert.is(await fitStatsCommand.run(ctx as never), 0);
  const r = JSON.parse(out[0]!) as { file: string; predicted: { target: number } };
  assert.is(r.predicted.target, 0.05);
  const st = parseStats(JSON.parse(readFileSync(r.file, 'utf8')), r.file);
  const direct = fitRecipe(items, 'synthetic@1', { ...DEFAULT_RECIPE, target: 0.05 });
  assert.is(st.calibration.threshold, direct.stats.calibration.threshold);
  assert.equal(st.calibration.llr, direct.stats.calibration.llr);
  try {
    await fitStatsCommand.run({ ...ctx, argv: ['--embeddings', cache, '--target', '2'] } as never);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, '--target');
  }
});

test.run();

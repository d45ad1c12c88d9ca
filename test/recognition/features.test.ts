/**
 * Fusing the embeddings of several crops of a photo (evaluation/features.ts): means of
 * unit vectors, photos without a face keep the body alone, misaligned lists are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { averageEmbeddings, fitMissingMean, fuseFace } from '../../daemon/src/evaluation/features.js';
import { crossValidate, DEFAULT_RECIPE, petFolds } from '../../daemon/src/evaluation/crossval.js';
import { l2normalize } from '../../daemon/src/recognition/embedding/embedder.js';
import type { EmbeddedPhoto } from '../../daemon/src/evaluation/dataset.js';
import { GlovesError } from '../../daemon/src/errors.js';

const photo = (file: string, e: number[] | null): EmbeddedPhoto => ({
  pet: 'a',
  file,
  detection: null,
  embedding: e ? Float32Array.from(e) : null,
});
const close = (got: Float32Array | null, want: number[]): void => {
  assert.ok(got, 'an embedding');
  assert.is(got!.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(got![i]! - w) < 1e-6, `[${i}] ${got![i]} != ${w}`));
};

test('averageEmbeddings: the re-normalised mean; a missing variant is left out; no base embedding, none', () => {
  const base = [photo('1', [1, 0]), photo('2', [0, 1]), photo('3', null)];
  const other = [photo('1', [0, 1]), photo('2', null), photo('3', [1, 0])];
  const out = averageEmbeddings([base, other]);
  close(out[0]!.embedding, [Math.SQRT1_2, Math.SQRT1_2]);
  close(out[1]!.embedding, [0, 1]);
  assert.is(out[2]!.embedding, null);
  // The inputs are not changed.
  close(base[0]!.embedding, [1, 0]);
});

test('fuseFace: [body, w x face]; a photo without a face keeps the body with a zero face half', () => {
  const body = [photo('1', [1, 0]), photo('2', [0, 1]), photo('3', null)];
  const face = [photo('1', [0.6, 0.8]), photo('2', null), photo('3', [1, 0])];
  const out = fuseFace(body, face, 0.5);
  close(out[0]!.embedding, [1, 0, 0.3, 0.4]);
  close(out[1]!.embedding, [0, 1, 0, 0]);
  assert.is(out[2]!.embedding, null);
});

test("fuseFace 'nan': a missing face is NaN; fitMissingMean fills it with the training photos' mean, per coordinate", () => {
  const body = [photo('1', [1, 0]), photo('2', [0, 1])];
  const face = [photo('1', null), photo('2', [0.6, 0.8])];
  const fused = fuseFace(body, face, 1, 'nan');
  assert.ok(Number.isNaN(fused[0]!.embedding![2]!) && Number.isNaN(fused[0]!.embedding![3]!));
  const train = [photo('a', [0, 0, 0.2, 0.4]), photo('b', [0, 0, 0.4, NaN]), photo('c', [0, 0, NaN, 0.8]), photo('d', null)];
  const fill = fitMissingMean(train);
  const out = fill(fused);
  close(out[0]!.embedding, [1, 0, 0.3, 0.6]);
  assert.is(out[1], fused[1], 'a photo with every coordinate is passed through');
  assert.is(out.length, 2);
});

test("crossValidate fitFeatures: fitted on each fold's training cats only, applied before fitting and scoring", () => {
  // Six synthetic cats in 3 dimensions plus a "face" half that a third of the photos lack.
  let seed = 3;
  const r = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  const items: EmbeddedPhoto[] = [];
  for (let p = 0; p < 6; p++) {
    const c = [r(), r(), r(), r(), r(), r()];
    for (let k = 0; k < 9; k++) {
      const v = l2normalize(Float32Array.from(c, (x) => x + 0.3 * r()));
      if (k % 3 === 2) v.fill(NaN, 3);
      items.push({ pet: `c${p}`, file: `${p}/${k}.jpg`, detection: null, embedding: v });
    }
  }
  const seen: string[][] = [];
  const cv = crossValidate(items, 'm', 3, {
    ...DEFAULT_RECIPE,
    fitFeatures: (train) => {
      seen.push([...new Set(train.map((t) => t.pet))].sort());
      return fitMissingMean(train);
    },
  });
  const folds = petFolds([...new Set(items.map((i) => i.pet))], 3);
  assert.is(seen.length, 3);
  folds.forEach((scored, f) => {
    assert.equal(
      seen[f],
      ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'].filter((p) => !scored.includes(p)),
    );
  });
  for (const fold of cv.folds) for (const q of fold.queries) assert.ok(q.vector && !q.vector.some(Number.isNaN), q.file);
  assert.ok(cv.top1 > 0.5, `top1 ${cv.top1}`);
});

test('fusing lists that do not hold the same photos in the same order is refused', () => {
  const a = [photo('1', [1, 0]), photo('2', [0, 1])];
  const b = [photo('2', [1, 0]), photo('1', [0, 1])];
  for (const f of [() => averageEmbeddings([a, b]), () => fuseFace(a, b, 1), () => averageEmbeddings([a, a.slice(1)])]) {
    assert.throws(f, (e: unknown) => e instanceof GlovesError && e.code === 'FEATURES_MISALIGNED');
  }
});

test.run();

/**
 * Fusing the embeddings of several crops of a photo (evaluation/features.ts): means of
 * unit vectors, photos without a face keep the body alone, misaligned lists are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { averageEmbeddings, fuseFace } from '../../daemon/src/evaluation/features.js';
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

test('fusing lists that do not hold the same photos in the same order is refused', () => {
  const a = [photo('1', [1, 0]), photo('2', [0, 1])];
  const b = [photo('2', [1, 0]), photo('1', [0, 1])];
  for (const f of [() => averageEmbeddings([a, b]), () => fuseFace(a, b, 1), () => averageEmbeddings([a, a.slice(1)])]) {
    assert.throws(f, (e: unknown) => e instanceof GlovesError && e.code === 'FEATURES_MISALIGNED');
  }
});

test.run();

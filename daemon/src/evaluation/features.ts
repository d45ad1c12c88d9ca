/**
 * Fusing per-photo embeddings of several crops of the same detection (pure), for
 * measuring features beyond one body crop with the fold protocol (bench/features.ts).
 * The lists are aligned: item i of every list is the same photo.
 */
import { GlovesError } from '../errors.js';
import type { EmbeddedPhoto } from './dataset.js';
import { l2normalize } from '../recognition/embedding/embedder.js';

function checkAligned(lists: readonly (readonly EmbeddedPhoto[])[]): void {
  const first = lists[0]!;
  for (const l of lists) {
    if (l.length !== first.length || l.some((it, i) => it.file !== first[i]!.file || it.pet !== first[i]!.pet)) {
      throw new GlovesError('FEATURES_MISALIGNED', 'embedding lists to fuse do not hold the same photos in the same order', {});
    }
  }
}

/**
 * The mean of each photo's unit embeddings over the lists, re-normalised (multi-crop,
 * test-time augmentation). A photo the first list has no embedding for has none;
 * the others' missing embeddings are left out of the mean.
 */
export function averageEmbeddings(lists: readonly (readonly EmbeddedPhoto[])[]): EmbeddedPhoto[] {
  if (lists.length === 0) throw new RangeError('averageEmbeddings: no lists');
  checkAligned(lists);
  return lists[0]!.map((it, i) => {
    if (!it.embedding) return { ...it };
    const m = new Float32Array(it.embedding.length);
    for (const l of lists) {
      const e = l[i]!.embedding;
      if (e) for (let k = 0; k < m.length; k++) m[k] = m[k]! + e[k]!;
    }
    return { ...it, embedding: l2normalize(m) };
  });
}

/**
 * Body and face concatenated, [body, weight x face] (both unit vectors), so that the
 * population statistics fitted per fold centre and whiten the pair jointly. A photo
 * without a face has a zero face half (`missing` 'zero'), or NaN ('nan') for
 * fitMissingMean to fill per fold.
 */
export function fuseFace(
  body: readonly EmbeddedPhoto[],
  face: readonly EmbeddedPhoto[],
  weight: number,
  missing: 'zero' | 'nan' = 'zero',
): EmbeddedPhoto[] {
  checkAligned([body, face]);
  return body.map((it, i) => {
    if (!it.embedding) return { ...it };
    const f = face[i]!.embedding;
    const d = it.embedding.length;
    const v = new Float32Array(2 * d);
    v.set(it.embedding, 0);
    if (f) for (let k = 0; k < d; k++) v[d + k] = weight * f[k]!;
    else if (missing === 'nan') v.fill(NaN, d);
    return { ...it, embedding: v };
  });
}

/**
 * A crossval fitFeatures step: NaN coordinates (a missing face) become the mean of that
 * coordinate over the training photos that have it, so that once centred on the training
 * population a missing face is zero and a comparison rests on the body half. Without it the
 * zero face of every faceless photo centres to the same minus-mean vector, which makes
 * faceless photos of different cats alike.
 */
export function fitMissingMean(train: readonly EmbeddedPhoto[]): (items: readonly EmbeddedPhoto[]) => EmbeddedPhoto[] {
  const rows = train.flatMap((t) => (t.embedding ? [t.embedding] : []));
  const dim = rows[0]?.length ?? 0;
  const sum = new Float64Array(dim);
  const n = new Float64Array(dim);
  for (const r of rows) {
    for (let k = 0; k < dim; k++) {
      if (!Number.isNaN(r[k]!)) {
        sum[k] = sum[k]! + r[k]!;
        n[k] = n[k]! + 1;
      }
    }
  }
  const mean = Float32Array.from(sum, (s, k) => (n[k]! > 0 ? s / n[k]! : 0));
  return (items) =>
    items.map((it) => {
      const e = it.embedding;
      if (!e || !e.some(Number.isNaN)) return it;
      return { ...it, embedding: e.map((x, k) => (Number.isNaN(x) ? mean[k]! : x)) };
    });
}

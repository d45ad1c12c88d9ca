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
 * without a face has a zero face half: its face half is then the same for every such
 * photo, and a comparison with it rests on the body half.
 */
export function fuseFace(body: readonly EmbeddedPhoto[], face: readonly EmbeddedPhoto[], weight: number): EmbeddedPhoto[] {
  checkAligned([body, face]);
  return body.map((it, i) => {
    if (!it.embedding) return { ...it };
    const f = face[i]!.embedding;
    const d = it.embedding.length;
    const v = new Float32Array(2 * d);
    v.set(it.embedding, 0);
    if (f) for (let k = 0; k < d; k++) v[d + k] = weight * f[k]!;
    return { ...it, embedding: v };
  });
}

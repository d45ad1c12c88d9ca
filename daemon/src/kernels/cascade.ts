/**
 * A boosted cascade of Haar-like features (the model format of OpenCV's cascade
 * classifiers, e.g. the cat-face cascades), evaluated on grey images (pure; the
 * TypeScript reference of the mechanism).
 *
 * A window of the cascade's size is accepted when every stage's sum of tree outputs
 * reaches the stage threshold. A tree walks from node 0: the node's feature value
 * below its threshold goes left, else right; a child <= 0 is leaf -child. A feature
 * value is the weighted sum of its rectangles' pixel sums, divided by the window's
 * contrast: sqrt(A * sum(x^2) - sum(x)^2) over the window less a 1-pixel border (A its
 * area), 1 when that is 0 (a flat window). Sums come from integral images, so a
 * window costs the same at any position.
 */
import type { GreyImage } from './motion.js';

export interface CascadeRect {
  x: number;
  y: number;
  w: number;
  h: number;
  weight: number;
}

export interface CascadeTree {
  /** Internal nodes: feature index, threshold, left and right child (> 0 a node, <= 0 leaf -child). */
  nodes: { feature: number; threshold: number; left: number; right: number }[];
  leaves: number[];
}

export interface Cascade {
  /** Window size in pixels. */
  width: number;
  height: number;
  stages: { threshold: number; trees: CascadeTree[] }[];
  /** Upright rectangles only (tilted features are refused when parsing). */
  features: { rects: CascadeRect[] }[];
}

export type { GreyImage };

/** Integral images of a grey image: sum and sum of squares, (w+1) x (h+1), zero first row and column. */
export interface Integral {
  width: number;
  height: number;
  sum: Float64Array;
  sq: Float64Array;
}

export function integralImage(img: GreyImage): Integral {
  const { width: w, height: h, data } = img;
  const stride = w + 1;
  const sum = new Float64Array(stride * (h + 1));
  const sq = new Float64Array(stride * (h + 1));
  for (let y = 0; y < h; y++) {
    let rs = 0;
    let rq = 0;
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x]!;
      rs += v;
      rq += v * v;
      const o = (y + 1) * stride + x + 1;
      sum[o] = sum[o - stride]! + rs;
      sq[o] = sq[o - stride]! + rq;
    }
  }
  return { width: w, height: h, sum, sq };
}

/**
 * A cascade laid out flat for one integral-image row stride: each rectangle as its four
 * corner offsets from the window's top-left entry, so a window costs array reads only
 * (the layout the native kernel uses too).
 */
export interface FlatCascade {
  cascade: Cascade;
  stride: number;
  /** Per rectangle: offsets of corners (x,y), (x+w,y), (x,y+h), (x+w,y+h). */
  corners: Int32Array;
  weights: Float64Array;
  /** Rectangles of feature f: [featureStart[f], featureStart[f + 1]). */
  featureStart: Int32Array;
  /** Offsets of the normalisation window (the window less a 1-pixel border), same corner order. */
  normCorners: Int32Array;
}

export function flattenCascade(c: Cascade, stride: number): FlatCascade {
  const rects = c.features.flatMap((f) => f.rects);
  const corners = new Int32Array(4 * rects.length);
  const at = (x: number, y: number): number => y * stride + x;
  rects.forEach((r, i) => corners.set([at(r.x, r.y), at(r.x + r.w, r.y), at(r.x, r.y + r.h), at(r.x + r.w, r.y + r.h)], 4 * i));
  const featureStart = new Int32Array(c.features.length + 1);
  c.features.forEach((f, i) => (featureStart[i + 1] = featureStart[i]! + f.rects.length));
  return {
    cascade: c,
    stride,
    corners,
    weights: Float64Array.from(rects.map((r) => r.weight)),
    featureStart,
    normCorners: Int32Array.from([at(1, 1), at(c.width - 1, 1), at(1, c.height - 1), at(c.width - 1, c.height - 1)]),
  };
}

/**
 * Stages the window at (x, y) passes: the number of stages when it is accepted. The
 * window must lie inside the image; `flat` must be laid out for this image's stride.
 */
export function windowStages(flat: FlatCascade, ii: Integral, x: number, y: number): number {
  const { cascade: c, corners, weights, featureStart, normCorners: nc } = flat;
  const sum = ii.sum;
  const o = y * flat.stride + x;
  const area = (c.width - 2) * (c.height - 2);
  const s = sum[o + nc[3]!]! - sum[o + nc[2]!]! - sum[o + nc[1]!]! + sum[o + nc[0]!]!;
  const q = ii.sq[o + nc[3]!]! - ii.sq[o + nc[2]!]! - ii.sq[o + nc[1]!]! + ii.sq[o + nc[0]!]!;
  const v = area * q - s * s;
  const norm = v > 0 ? Math.sqrt(v) : 1;
  for (let si = 0; si < c.stages.length; si++) {
    const stage = c.stages[si]!;
    let total = 0;
    for (const tree of stage.trees) {
      let idx = 0;
      for (;;) {
        const node = tree.nodes[idx]!;
        let f = 0;
        for (let r = featureStart[node.feature]!, end = featureStart[node.feature + 1]!; r < end; r++) {
          const k = 4 * r;
          f += weights[r]! * (sum[o + corners[k + 3]!]! - sum[o + corners[k + 2]!]! - sum[o + corners[k + 1]!]! + sum[o + corners[k]!]!);
        }
        const next = f < node.threshold * norm ? node.left : node.right;
        if (next <= 0) {
          total += tree.leaves[-next]!;
          break;
        }
        idx = next;
      }
    }
    if (total < stage.threshold) return si;
  }
  return c.stages.length;
}

/** Every accepted window position of one grey image at the cascade's own size, stepping by `step` pixels. */
export function scanWindows(c: Cascade, img: GreyImage, step: number): { x: number; y: number }[] {
  const ii = integralImage(img);
  const flat = flattenCascade(c, img.width + 1);
  const hits: { x: number; y: number }[] = [];
  for (let y = 0; y + c.height <= img.height; y += step) {
    for (let x = 0; x + c.width <= img.width; x += step) {
      if (windowStages(flat, ii, x, y) === c.stages.length) hits.push({ x, y });
    }
  }
  return hits;
}

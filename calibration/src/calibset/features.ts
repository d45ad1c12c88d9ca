/**
 * Image statistics for diversity: an 8x8 luma thumbnail (layout and content),
 * per-channel mean and spread (exposure, colour cast) and colourfulness (IR
 * night frames are grey). The thumbnail is made with the runtime's own
 * pre-processing (stretch, bilinear) so no second resampler is involved.
 */
import type { RgbImage } from '../../../daemon/src/vision/image.js';
import { preprocess } from '../../../daemon/src/vision/preprocess.js';
import type { PreprocessSpec } from '../../../daemon/src/models/manifest.js';

const THUMB: PreprocessSpec = {
  colorOrder: 'RGB',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  resize: 'stretch',
  letterboxAlign: 'top-left',
  padValue: 0,
  layout: 'NCHW',
};
const SIDE = 8;

export interface ImageStats {
  mean: [number, number, number];
  std: [number, number, number];
  /** Mean |R-G| + |G-B| in 0..1 units: ~0 for grey (IR) frames. */
  colourfulness: number;
  luma: number;
}

export function imageStats(img: RgbImage): ImageStats {
  const d = img.data;
  const n = img.width * img.height;
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let chroma = 0;
  // Every 4th pixel is plenty for global statistics.
  let k = 0;
  for (let p = 0; p < n; p += 4, k++) {
    const r = d[p * 3]!,
      g = d[p * 3 + 1]!,
      b = d[p * 3 + 2]!;
    sum[0]! += r;
    sum[1]! += g;
    sum[2]! += b;
    sq[0]! += r * r;
    sq[1]! += g * g;
    sq[2]! += b * b;
    chroma += Math.abs(r - g) + Math.abs(g - b);
  }
  const mean = sum.map((s) => s / k / 255) as [number, number, number];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / k / 65025 - mean[c]! ** 2))) as [number, number, number];
  return { mean, std, colourfulness: chroma / k / 255, luma: 0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2] };
}

/** Day vs night: grey (IR illuminated) or very dark frames count as night. */
export function lightingOf(s: ImageStats): 'day' | 'night' {
  return s.colourfulness < 0.03 || s.luma < 0.12 ? 'night' : 'day';
}

export function featureVector(img: RgbImage, s: ImageStats, animal: boolean): Float64Array {
  const { tensor } = preprocess(img, THUMB, SIDE, SIDE);
  const plane = SIDE * SIDE;
  const v = new Float64Array(plane + 8);
  for (let i = 0; i < plane; i++) v[i] = 0.299 * tensor[i]! + 0.587 * tensor[plane + i]! + 0.114 * tensor[2 * plane + i]!;
  // Weights put global statistics on the same footing as the 64 thumbnail values.
  v[plane] = 4 * s.mean[0];
  v[plane + 1] = 4 * s.mean[1];
  v[plane + 2] = 4 * s.mean[2];
  v[plane + 3] = 4 * s.std[0];
  v[plane + 4] = 4 * s.std[1];
  v[plane + 5] = 4 * s.std[2];
  v[plane + 6] = 8 * s.colourfulness;
  v[plane + 7] = animal ? 1 : 0;
  return v;
}

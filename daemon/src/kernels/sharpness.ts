/**
 * How sharp a crop is, for the embedding schedule's "a better view" test
 * (tracking/embed-schedule.ts): the mean absolute difference of the green
 * channel to the right and lower neighbours, in levels. Motion blur and
 * defocus lower it; it is compared only with the same track's earlier crops,
 * so its scale does not matter. Sampled on at most SAMPLES x SAMPLES points of
 * the box, so a whole-frame box costs the same as a small one (microseconds).
 */
import type { RgbImage } from '../vision/image.js';

export const SHARPNESS_SAMPLES = 64;

/** Sharpness of the box [x1, y1, x2, y2] (frame pixels, clipped to the frame); 0 for a box under 2x2 pixels. */
export function cropSharpness(img: RgbImage, box: readonly number[]): number {
  const x1 = Math.max(0, Math.floor(box[0]!));
  const y1 = Math.max(0, Math.floor(box[1]!));
  // The last row and column have no right/lower neighbour inside the box.
  const x2 = Math.min(img.width, Math.ceil(box[2]!)) - 1;
  const y2 = Math.min(img.height, Math.ceil(box[3]!)) - 1;
  if (!(x2 > x1 && y2 > y1)) return 0;
  const sx = Math.max(1, Math.ceil((x2 - x1) / SHARPNESS_SAMPLES));
  const sy = Math.max(1, Math.ceil((y2 - y1) / SHARPNESS_SAMPLES));
  const row = img.width * 3;
  const d = img.data;
  let sum = 0;
  let n = 0;
  for (let y = y1; y < y2; y += sy) {
    for (let x = x1; x < x2; x += sx) {
      const g = y * row + x * 3 + 1;
      sum += Math.abs(d[g]! - d[g + 3]!) + Math.abs(d[g]! - d[g + row]!);
      n++;
    }
  }
  return sum / (2 * n);
}

/**
 * Mean R, G, B of the box on the same sample grid: a cheap appearance signature, so that another
 * animal (or a scene cut) in the same box is noticed without embedding (tracking/embed-schedule.ts).
 */
export function cropMean(img: RgbImage, box: readonly number[]): [number, number, number] {
  const x1 = Math.max(0, Math.floor(box[0]!));
  const y1 = Math.max(0, Math.floor(box[1]!));
  const x2 = Math.min(img.width, Math.ceil(box[2]!));
  const y2 = Math.min(img.height, Math.ceil(box[3]!));
  if (!(x2 > x1 && y2 > y1)) return [0, 0, 0];
  const sx = Math.max(1, Math.ceil((x2 - x1) / SHARPNESS_SAMPLES));
  const sy = Math.max(1, Math.ceil((y2 - y1) / SHARPNESS_SAMPLES));
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = y1; y < y2; y += sy) {
    for (let x = x1; x < x2; x += sx) {
      const p = (y * img.width + x) * 3;
      r += img.data[p]!;
      g += img.data[p + 1]!;
      b += img.data[p + 2]!;
      n++;
    }
  }
  return [r / n, g / n, b / n];
}

/**
 * Crops for the embedder (pure): a detection box grown by a margin and snapped
 * to an integer pixel region inside the frame.
 */
import type { Region } from '../../vision/preprocess.js';
import type { RgbImage } from '../../vision/image.js';
import type { Box } from '../types.js';

/** Clip a box to the frame [0,w] x [0,h]. */
export function clipBox(b: readonly number[], width: number, height: number): Box {
  const c = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return [c(b[0]!, width), c(b[1]!, height), c(b[2]!, width), c(b[3]!, height)];
}

/**
 * Grow `box` by `margin` times its width/height on each side, clip to the frame and
 * round outwards to whole pixels. Always at least 1x1 pixel.
 */
export function cropRegion(box: Box, margin: number, width: number, height: number): Region {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const x1 = Math.max(0, Math.min(width - 1, Math.floor(box[0] - margin * bw)));
  const y1 = Math.max(0, Math.min(height - 1, Math.floor(box[1] - margin * bh)));
  const x2 = Math.max(x1 + 1, Math.min(width, Math.ceil(box[2] + margin * bw)));
  const y2 = Math.max(y1 + 1, Math.min(height, Math.ceil(box[3] + margin * bh)));
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/** Copy a region out as its own image (for storing enrolment crops). */
export function extractRegion(img: RgbImage, r: Region): RgbImage {
  const data = new Uint8Array(r.width * r.height * 3);
  const rowBytes = r.width * 3;
  for (let y = 0; y < r.height; y++) {
    const src = ((r.y + y) * img.width + r.x) * 3;
    data.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { width: r.width, height: r.height, data };
}

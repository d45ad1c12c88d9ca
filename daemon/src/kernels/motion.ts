/**
 * The TypeScript references of the motion kernels (native/src/kernels/motion.h)
 * and the checks both paths share. Integer arithmetic only, so the native
 * results are bit-identical (test/native/motion-parity.test.ts):
 * - greyDownscaleInto: luma (77 R + 150 G + 29 B + 128) >> 8 (NV12: its Y plane),
 *   averaged over whole factor x factor blocks, rounding half up; the right and
 *   bottom remainders are dropped;
 * - motionCellsInto: per cell of a cellsX x cellsY grid, the pixels whose grey
 *   levels differ by more than `threshold`; pixel (x, y) is in cell
 *   (floor(x * cellsX / width), floor(y * cellsY / height)).
 * What counts as motion is policy (daemon/src/motion/).
 */
import { assertImage, ImageError, type PixelImage } from '../vision/image.js';
import { GlovesError } from '../errors.js';

/** An 8-bit grey image, width * height bytes, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export const MAX_GREY_FACTOR = 64;
export const MAX_MOTION_CELLS = 1024;

export const greyOf = (r: number, g: number, b: number): number => (77 * r + 150 * g + 29 * b + 128) >> 8;

/** The size greyDownscale gives, after checking the image and the factor. */
export function greySize(img: PixelImage, factor: number): { width: number; height: number } {
  assertImage(img);
  if (!Number.isInteger(factor) || factor < 1 || factor > MAX_GREY_FACTOR) {
    throw new ImageError('SIZE_INVALID', `grey downscale factor must be an integer in 1..${MAX_GREY_FACTOR}, got ${factor}`, { factor });
  }
  const width = Math.floor(img.width / factor);
  const height = Math.floor(img.height / factor);
  if (width < 1 || height < 1) {
    throw new ImageError('SIZE_INVALID', `factor ${factor} is larger than the ${img.width}x${img.height} image`, { factor });
  }
  return { width, height };
}

export function assertGreyOut(out: Uint8Array, width: number, height: number): void {
  if (out.length !== width * height) {
    throw new ImageError('BUFFER_TOO_SMALL', `grey output must hold exactly ${width * height} bytes, got ${out.length}`);
  }
}

/** Checks two grey images and a grid for motionCells (same codes as the addon). */
export function assertMotionJob(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number): void {
  const { width, height } = a;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 32768 || height > 32768) {
    throw new ImageError('IMAGE_INVALID', `grey image size must be positive integers, got ${width}x${height}`);
  }
  if (b.width !== width || b.height !== height || a.data.length !== width * height || b.data.length !== width * height) {
    throw new ImageError('IMAGE_INVALID', `motion needs two ${width}x${height} grey images of ${width * height} bytes`);
  }
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 255) {
    throw new GlovesError('NATIVE_BAD_ARGUMENT', `motion threshold must be an integer in 0..255, got ${threshold}`);
  }
  const bad = (c: number, side: number): boolean => !Number.isInteger(c) || c < 1 || c > side || c > MAX_MOTION_CELLS;
  if (bad(cellsX, width) || bad(cellsY, height)) {
    throw new ImageError(
      'SIZE_INVALID',
      `motion grid ${cellsX}x${cellsY} must be 1..${width} by 1..${height} (at most ${MAX_MOTION_CELLS})`,
    );
  }
}

/** Fills `out` (greySize bytes). Precondition: greySize(img, factor) passed and out has its size. */
export function greyDownscaleInto(img: PixelImage, factor: number, out: Uint8Array): void {
  const ow = Math.floor(img.width / factor);
  const oh = Math.floor(img.height / factor);
  const area = factor * factor;
  const half = area >> 1;
  const { data, width } = img;
  const sums = new Int32Array(ow);
  for (let oy = 0; oy < oh; oy++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const y = oy * factor + dy;
      for (let x = 0; x < ow * factor; x++) {
        let l: number;
        if (img.format === 'NV12') l = data[y * width + x]!;
        else if (img.format === 'RGBA')
          l = greyOf(data[4 * (y * width + x)]!, data[4 * (y * width + x) + 1]!, data[4 * (y * width + x) + 2]!);
        else {
          const p = 3 * (y * width + x);
          l = img.format === 'BGR' ? greyOf(data[p + 2]!, data[p + 1]!, data[p]!) : greyOf(data[p]!, data[p + 1]!, data[p + 2]!);
        }
        const i = (x / factor) | 0;
        sums[i] = sums[i]! + l;
      }
    }
    for (let ox = 0; ox < ow; ox++) out[oy * ow + ox] = Math.floor((sums[ox]! + half) / area);
  }
}

/** Fills `counts` (cellsX * cellsY, zeroed first). Precondition: assertMotionJob passed. */
export function motionCellsInto(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number, counts: Int32Array): void {
  const { width, height } = a;
  counts.fill(0);
  for (let y = 0; y < height; y++) {
    const rowCell = Math.floor((y * cellsY) / height) * cellsX;
    for (let x = 0; x < width; x++) {
      const d = a.data[y * width + x]! - b.data[y * width + x]!;
      if (d > threshold || -d > threshold) {
        const i = rowCell + Math.floor((x * cellsX) / width);
        counts[i] = counts[i]! + 1;
      }
    }
  }
}

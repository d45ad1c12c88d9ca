/**
 * Reference pixel-format conversions to packed RGB (the native kernels are
 * tested for exact parity against these).
 *
 * NV12 contract: BT.601 limited range ("studio swing", what SD/HD camera and
 * decoder output uses unless told otherwise), integer arithmetic:
 *   C = Y - 16, D = U - 128, E = V - 128
 *   R = clamp((298 C + 409 E + 128) >> 8)
 *   G = clamp((298 C - 100 D - 208 E + 128) >> 8)
 *   B = clamp((298 C + 516 D + 128) >> 8)
 * Each 2x2 block of luma shares one (U,V) pair: nearest chroma, no interpolation.
 * NV12 width and height must be even (assertImage enforces it).
 */
import { assertImage, type PixelImage, type RgbImage } from './image.js';

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Convert any supported frame to packed RGB; RGB input is returned as is (no copy). */
export function toRgb(img: PixelImage): RgbImage {
  assertImage(img);
  const { width, height, data } = img;
  if (img.format === 'RGB') return { width, height, data };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (img.format === 'BGR') {
    for (let i = 0; i < n * 3; i += 3) {
      out[i] = data[i + 2]!;
      out[i + 1] = data[i + 1]!;
      out[i + 2] = data[i]!;
    }
  } else if (img.format === 'RGBA') {
    for (let i = 0, j = 0; i < n * 3; i += 3, j += 4) {
      out[i] = data[j]!;
      out[i + 1] = data[j + 1]!;
      out[i + 2] = data[j + 2]!;
    }
  } else {
    nv12ToRgb(data, width, height, out);
  }
  return { width, height, data: out };
}

function nv12ToRgb(src: Uint8Array, width: number, height: number, out: Uint8Array): void {
  const uvBase = width * height;
  for (let y = 0; y < height; y++) {
    const yRow = y * width;
    const uvRow = uvBase + (y >> 1) * width;
    for (let x = 0; x < width; x++) {
      const c = src[yRow + x]! - 16;
      const uv = uvRow + (x & ~1);
      const d = src[uv]! - 128;
      const e = src[uv + 1]! - 128;
      const o = (yRow + x) * 3;
      out[o] = clamp8((298 * c + 409 * e + 128) >> 8);
      out[o + 1] = clamp8((298 * c - 100 * d - 208 * e + 128) >> 8);
      out[o + 2] = clamp8((298 * c + 516 * d + 128) >> 8);
    }
  }
}

/**
 * RGB to NV12 with the matching BT.601 limited-range forward transform (chroma
 * averaged over each 2x2 block). For producing NV12 test frames from photos;
 * the round trip is lossy (chroma subsampling, limited range).
 */
export function rgbToNv12(img: RgbImage): PixelImage {
  const { width, height, data } = img;
  const w = width & ~1;
  const h = height & ~1;
  const out = new Uint8Array(w * h + (w * h) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * width + x) * 3;
      out[y * w + x] = clamp8(((66 * data[i]! + 129 * data[i + 1]! + 25 * data[i + 2]! + 128) >> 8) + 16);
    }
  }
  for (let y = 0; y < h; y += 2) {
    for (let x = 0; x < w; x += 2) {
      let r = 0,
        g = 0,
        b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = ((y + dy) * width + x + dx) * 3;
        r += data[i]!;
        g += data[i + 1]!;
        b += data[i + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const o = w * h + (y / 2) * w + x;
      out[o] = clamp8(Math.round((-38 * r - 74 * g + 112 * b) / 256) + 128);
      out[o + 1] = clamp8(Math.round((112 * r - 94 * g - 18 * b) / 256) + 128);
    }
  }
  return { format: 'NV12', width: w, height: h, data: out };
}

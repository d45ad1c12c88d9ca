/**
 * Reference pre-processing: an RGB image (or a region of it) to a model's
 * NCHW float32 input, as the model manifest says. Pure functions; the native
 * addon implements the same arithmetic and is tested for parity against these.
 *
 * Sampling contract (the native kernels must match it):
 * - bilinear, half-pixel centres: src = (dst + 0.5) * (srcSize / dstSize) - 0.5 + regionOrigin,
 *   clamped to the region's pixel range; integer region edges are taken as given.
 * - letterbox: scale = min(outW / rw, outH / rh); content size = round(rw*scale) x round(rh*scale);
 *   placed top-left (offset 0) or centred (offset floor((out - content) / 2)); the rest is `padValue`.
 * - stretch: the region fills the output.
 * - value = (pixel * spec.scale - mean[c]) / std[c], channels in spec.colorOrder.
 */
import type { PreprocessSpec } from '../models/manifest.js';
import { ImageError, type RgbImage } from './image.js';

/** An integer pixel region [x, y, width, height] inside an image. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How output (model) coordinates map back to image coordinates: img = (out - pad) / scale + region origin. */
export interface Transform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  originX: number;
  originY: number;
}

export interface PreprocessResult {
  tensor: Float32Array;
  transform: Transform;
}

/** Allocate and fill a [1,3,outH,outW] tensor. */
export function preprocess(img: RgbImage, spec: PreprocessSpec, outW: number, outH: number, region?: Region): PreprocessResult {
  const tensor = new Float32Array(3 * outW * outH);
  const transform = preprocessInto(img, spec, outW, outH, tensor, 0, region);
  return { tensor, transform };
}

/** Fill `out` from `offset` (a batch slot) and return the coordinate transform. */
export function preprocessInto(
  img: RgbImage,
  spec: PreprocessSpec,
  outW: number,
  outH: number,
  out: Float32Array,
  offset: number,
  region: Region = { x: 0, y: 0, width: img.width, height: img.height },
): Transform {
  validate(img, outW, outH, out, offset, region);
  const { x: rx, y: ry, width: rw, height: rh } = region;
  let cw = outW;
  let ch = outH;
  let padX = 0;
  let padY = 0;
  let scaleX = outW / rw;
  let scaleY = outH / rh;
  if (spec.resize === 'letterbox') {
    const s = Math.min(outW / rw, outH / rh);
    cw = Math.max(1, Math.min(outW, Math.round(rw * s)));
    ch = Math.max(1, Math.min(outH, Math.round(rh * s)));
    scaleX = scaleY = s;
    if (spec.letterboxAlign === 'center') {
      padX = Math.floor((outW - cw) / 2);
      padY = Math.floor((outH - ch) / 2);
    }
  }
  const plane = outW * outH;
  const swap = spec.colorOrder === 'BGR';
  const k = spec.scale;
  // Per output channel c, the source channel and its affine normalisation.
  const srcCh = swap ? [2, 1, 0] : [0, 1, 2];
  const mul = [0, 1, 2].map((c) => k / spec.std[c]!);
  const add = [0, 1, 2].map((c) => -spec.mean[c]! / spec.std[c]!);
  const padVals = [0, 1, 2].map((c) => spec.padValue * mul[c]! + add[c]!);
  if (cw !== outW || ch !== outH) {
    for (let c = 0; c < 3; c++) out.fill(padVals[c]!, offset + c * plane, offset + (c + 1) * plane);
  }
  const data = img.data;
  const stride = img.width * 3;
  const fx = rw / cw;
  const fy = rh / ch;
  // Precompute horizontal taps once per output column.
  const x0s = new Int32Array(cw);
  const x1s = new Int32Array(cw);
  const wxs = new Float32Array(cw);
  for (let x = 0; x < cw; x++) {
    let sx = (x + 0.5) * fx - 0.5;
    if (sx < 0) sx = 0;
    if (sx > rw - 1) sx = rw - 1;
    const x0 = Math.floor(sx);
    x0s[x] = (rx + x0) * 3;
    x1s[x] = (rx + Math.min(x0 + 1, rw - 1)) * 3;
    wxs[x] = sx - x0;
  }
  const m0 = mul[0]!,
    m1 = mul[1]!,
    m2 = mul[2]!;
  const a0 = add[0]!,
    a1 = add[1]!,
    a2 = add[2]!;
  const s0 = srcCh[0]!,
    s1 = srcCh[1]!,
    s2 = srcCh[2]!;
  for (let y = 0; y < ch; y++) {
    let sy = (y + 0.5) * fy - 0.5;
    if (sy < 0) sy = 0;
    if (sy > rh - 1) sy = rh - 1;
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    const row0 = (ry + y0) * stride;
    const row1 = (ry + Math.min(y0 + 1, rh - 1)) * stride;
    const o = offset + (y + padY) * outW + padX;
    for (let x = 0; x < cw; x++) {
      const wx = wxs[x]!;
      const p00 = row0 + x0s[x]!,
        p01 = row0 + x1s[x]!,
        p10 = row1 + x0s[x]!,
        p11 = row1 + x1s[x]!;
      const w00 = (1 - wx) * (1 - wy),
        w01 = wx * (1 - wy),
        w10 = (1 - wx) * wy,
        w11 = wx * wy;
      const v0 = data[p00 + s0]! * w00 + data[p01 + s0]! * w01 + data[p10 + s0]! * w10 + data[p11 + s0]! * w11;
      const v1 = data[p00 + s1]! * w00 + data[p01 + s1]! * w01 + data[p10 + s1]! * w10 + data[p11 + s1]! * w11;
      const v2 = data[p00 + s2]! * w00 + data[p01 + s2]! * w01 + data[p10 + s2]! * w10 + data[p11 + s2]! * w11;
      out[o + x] = v0 * m0 + a0;
      out[o + plane + x] = v1 * m1 + a1;
      out[o + 2 * plane + x] = v2 * m2 + a2;
    }
  }
  return { scaleX, scaleY, padX, padY, originX: rx, originY: ry };
}

/** Map a box [x1,y1,x2,y2] in model-input coordinates back to image coordinates. */
export function unmapBox(box: readonly [number, number, number, number], t: Transform): [number, number, number, number] {
  return [
    (box[0] - t.padX) / t.scaleX + t.originX,
    (box[1] - t.padY) / t.scaleY + t.originY,
    (box[2] - t.padX) / t.scaleX + t.originX,
    (box[3] - t.padY) / t.scaleY + t.originY,
  ];
}

function validate(img: RgbImage, outW: number, outH: number, out: Float32Array, offset: number, r: Region): void {
  if (img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new ImageError(
      'IMAGE_INVALID',
      `RGB image ${img.width}x${img.height} needs ${img.width * img.height * 3} bytes, got ${img.data.length}`,
    );
  }
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW <= 0 || outH <= 0) {
    throw new ImageError('SIZE_INVALID', `output size must be positive integers, got ${outW}x${outH}`);
  }
  if (![r.x, r.y, r.width, r.height].every(Number.isInteger) || r.width <= 0 || r.height <= 0) {
    throw new ImageError('REGION_INVALID', `region must be positive integers, got ${JSON.stringify(r)}`);
  }
  if (r.x < 0 || r.y < 0 || r.x + r.width > img.width || r.y + r.height > img.height) {
    throw new ImageError('REGION_OUTSIDE', `region ${JSON.stringify(r)} is outside the ${img.width}x${img.height} image`);
  }
  if (offset < 0 || offset + 3 * outW * outH > out.length) {
    throw new ImageError('BUFFER_TOO_SMALL', `output buffer of ${out.length} floats cannot hold ${3 * outW * outH} at offset ${offset}`);
  }
}

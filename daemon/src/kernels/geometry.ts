/**
 * Validation and geometry shared by the native and TypeScript kernel paths, so
 * both give the same errors and the same coordinate transform. The arithmetic
 * mirrors daemon/src/vision/preprocess.ts (tested for equality against it).
 */
import type { PreprocessSpec } from '../models/manifest.js';
import { assertImage, ImageError, type PixelImage } from '../vision/image.js';
import type { Region, Transform } from '../vision/preprocess.js';
import { SLOT_FIELDS } from '../native/addon.js';

export interface Norm {
  srcCh: [number, number, number];
  mul: [number, number, number];
  add: [number, number, number];
  pad: [number, number, number];
}

export function normFor(spec: PreprocessSpec): Norm {
  const srcCh: [number, number, number] = spec.colorOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const mul = [0, 1, 2].map((c) => spec.scale / spec.std[c]!) as [number, number, number];
  const add = [0, 1, 2].map((c) => -spec.mean[c]! / spec.std[c]!) as [number, number, number];
  const pad = [0, 1, 2].map((c) => spec.padValue * mul[c]! + add[c]!) as [number, number, number];
  return { srcCh, mul, add, pad };
}

export function assertOutSize(outW: number, outH: number): void {
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW <= 0 || outH <= 0 || outW > 32768 || outH > 32768) {
    throw new ImageError('SIZE_INVALID', `output size must be positive integers, got ${outW}x${outH}`, { outW, outH });
  }
}

export function assertRegion(img: PixelImage, r: Region): void {
  if (![r.x, r.y, r.width, r.height].every(Number.isInteger) || r.width <= 0 || r.height <= 0) {
    throw new ImageError('REGION_INVALID', `region must be positive integers, got ${JSON.stringify(r)}`, { region: r });
  }
  if (r.x < 0 || r.y < 0 || r.x + r.width > img.width || r.y + r.height > img.height) {
    throw new ImageError('REGION_OUTSIDE', `region ${JSON.stringify(r)} is outside the ${img.width}x${img.height} image`, { region: r });
  }
}

export function assertOutBuffer(out: Float32Array, offset: number, floats: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + floats > out.length || offset > 0x7fffffff) {
    throw new ImageError('BUFFER_TOO_SMALL', `output buffer of ${out.length} floats cannot hold ${floats} at offset ${offset}`);
  }
}

/** Validate everything a job needs; throws the same codes as the TS reference. */
export function validateJob(
  img: PixelImage,
  outW: number,
  outH: number,
  regions: readonly Region[],
  out: Float32Array,
  offset: number,
): void {
  assertImage(img);
  assertOutSize(outW, outH);
  if (regions.length === 0) throw new ImageError('REGION_INVALID', 'at least one region is needed');
  for (const r of regions) assertRegion(img, r);
  assertOutBuffer(out, offset, 3 * outW * outH * regions.length);
}

/** The content rectangle and transform for one region, exactly as preprocessInto computes them. */
export function slotGeometry(
  spec: PreprocessSpec,
  outW: number,
  outH: number,
  r: Region,
): { cw: number; ch: number; transform: Transform } {
  let cw = outW;
  let ch = outH;
  let padX = 0;
  let padY = 0;
  let scaleX = outW / r.width;
  let scaleY = outH / r.height;
  if (spec.resize === 'letterbox') {
    const s = Math.min(outW / r.width, outH / r.height);
    cw = Math.max(1, Math.min(outW, Math.round(r.width * s)));
    ch = Math.max(1, Math.min(outH, Math.round(r.height * s)));
    scaleX = scaleY = s;
    if (spec.letterboxAlign === 'center') {
      padX = Math.floor((outW - cw) / 2);
      padY = Math.floor((outH - ch) / 2);
    }
  }
  return { cw, ch, transform: { scaleX, scaleY, padX, padY, originX: r.x, originY: r.y } };
}

/** Pack regions into the addon's slot array; slot i lands at offset + i * 3*outW*outH. */
export function packSlots(
  spec: PreprocessSpec,
  outW: number,
  outH: number,
  regions: readonly Region[],
  offset: number,
): { slots: Int32Array; transforms: Transform[] } {
  const slots = new Int32Array(regions.length * SLOT_FIELDS);
  const transforms: Transform[] = [];
  regions.forEach((r, i) => {
    const g = slotGeometry(spec, outW, outH, r);
    const t = g.transform;
    slots.set([r.x, r.y, r.width, r.height, outW, outH, g.cw, g.ch, t.padX, t.padY, offset + i * 3 * outW * outH], i * SLOT_FIELDS);
    transforms.push(t);
  });
  return { slots, transforms };
}

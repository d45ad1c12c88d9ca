/**
 * YOLOX output decoding (pure). The raw output is [1, A, 5 + C] with, per anchor,
 * [x, y, w, h, obj, C class probabilities]; anchors run over the manifest's
 * strides in order, each a (size/stride)^2 row-major grid:
 *   cx = (x + gx) * stride, cy = (y + gy) * stride, w = exp(w) * stride, h = exp(h) * stride,
 *   score = obj * class probability.
 * Boxes come out in model-input pixel coordinates; the caller undoes the letterbox.
 */
import type { NmsBox } from '../../kernels/nms.js';

export interface RawCandidate {
  box: [number, number, number, number];
  score: number;
  classId: number;
}

export interface YoloxDecodeOptions {
  inputWidth: number;
  inputHeight: number;
  strides: readonly number[];
  /** Class ids to keep; an anchor is assigned the best of these. */
  classIds: readonly number[];
  minScore: number;
}

export function decodeYolox(output: Float32Array, dims: readonly number[], opts: YoloxDecodeOptions): RawCandidate[] {
  const stride = dims[dims.length - 1]!;
  const anchors = dims[dims.length - 2]!;
  const grids: { gw: number; s: number; start: number }[] = [];
  let total = 0;
  for (const s of opts.strides) {
    const gw = Math.floor(opts.inputWidth / s);
    const gh = Math.floor(opts.inputHeight / s);
    grids.push({ gw, s, start: total });
    total += gw * gh;
  }
  if (total !== anchors || output.length < anchors * stride) {
    throw new RangeError(`yolox output [${dims.join(',')}] does not fit ${total} anchors for strides ${opts.strides.join(',')}`);
  }
  const out: RawCandidate[] = [];
  let g = 0;
  for (let a = 0; a < anchors; a++) {
    while (g + 1 < grids.length && a >= grids[g + 1]!.start) g++;
    const o = a * stride;
    const obj = output[o + 4]!;
    if (obj < opts.minScore) continue;
    let best = -1;
    let bestScore = -1;
    for (const c of opts.classIds) {
      const sc = obj * output[o + 5 + c]!;
      if (sc > bestScore) {
        bestScore = sc;
        best = c;
      }
    }
    if (best < 0 || bestScore < opts.minScore) continue;
    const { gw, s, start } = grids[g]!;
    const cell = a - start;
    const gx = cell % gw;
    const gy = Math.floor(cell / gw);
    const cx = (output[o]! + gx) * s;
    const cy = (output[o + 1]! + gy) * s;
    const w = Math.exp(output[o + 2]!) * s;
    const h = Math.exp(output[o + 3]!) * s;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: bestScore, classId: best });
  }
  return out;
}

export function candidateBoxes(c: readonly RawCandidate[]): NmsBox[] {
  return c.map((x) => x.box);
}

/**
 * Finds a cat's face inside its detected body box with a face cascade (pure).
 *
 * The box (grown a little, a face at the edge of a tight box is still whole) is taken
 * in grey at a working resolution, then scanned at window sizes growing by `scaleStep`
 * from the cascade's own to the region's smaller side (the region is resampled, the
 * window stays the cascade's). Overlapping accepted windows are grouped; a group needs
 * `minNeighbors` windows (single hits are mostly texture), and its centre must lie in
 * the upper part of the box (a face is not at the cat's feet). The largest group wins.
 */
import type { Cascade, GreyImage } from '../../kernels/cascade.js';
import { scanWindows } from '../../kernels/cascade.js';
import { iou } from '../../kernels/nms.js';
import type { RgbImage } from '../../vision/image.js';
import type { Box } from '../types.js';

export { parseCascadeXml } from './cascade-xml.js';

export interface FaceSearchOptions {
  /** Fraction of the box size added on each side of the searched region. */
  margin: number;
  /** The box is searched at most this many pixels wide (larger boxes are sampled down first). */
  workWidth: number;
  /** Window size ratio between scales. */
  scaleStep: number;
  /** Smallest face, as a fraction of the box's smaller side. */
  minFace: number;
  /** Accepted windows a face needs. */
  minNeighbors: number;
  /** A face's centre lies within this fraction of the box height from its top. */
  upper: number;
}

export const DEFAULT_FACE_SEARCH: FaceSearchOptions = {
  margin: 0.05,
  workWidth: 256,
  scaleStep: 1.1,
  minFace: 0.15,
  minNeighbors: 3,
  upper: 0.65,
};

export interface FoundFace {
  box: Box;
  /** Accepted windows in its group. */
  neighbors: number;
}

/**
 * The grey (BT.601 luma) of `img` over [x, y, x + w*s, y + h*s) sampled bilinearly onto w x h
 * pixels (s the source pixels per output pixel).
 */
export function greyResampled(img: RgbImage, x0: number, y0: number, s: number, w: number, h: number): GreyImage {
  const out = new Uint8Array(w * h);
  const W = img.width;
  const H = img.height;
  const d = img.data;
  const luma = (x: number, y: number): number => {
    const o = (y * W + x) * 3;
    return 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
  };
  for (let j = 0; j < h; j++) {
    const sy = Math.min(H - 1, Math.max(0, y0 + (j + 0.5) * s - 0.5));
    const ya = Math.floor(sy);
    const yb = Math.min(H - 1, ya + 1);
    const fy = sy - ya;
    for (let i = 0; i < w; i++) {
      const sx = Math.min(W - 1, Math.max(0, x0 + (i + 0.5) * s - 0.5));
      const xa = Math.floor(sx);
      const xb = Math.min(W - 1, xa + 1);
      const fx = sx - xa;
      const top = luma(xa, ya) * (1 - fx) + luma(xb, ya) * fx;
      const bottom = luma(xa, yb) * (1 - fx) + luma(xb, yb) * fx;
      out[j * w + i] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width: w, height: h, data: out };
}

/** Groups of mutually overlapping boxes (IoU >= minIou, transitively); each group's mean box and size. */
export function groupBoxes(boxes: readonly Box[], minIou: number): FoundFace[] {
  const parent = boxes.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) if (iou(boxes[i]!, boxes[j]!) >= minIou) parent[root(i)] = root(j);
  }
  const groups = new Map<number, Box[]>();
  boxes.forEach((b, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), b]));
  return [...groups.values()].map((g) => ({
    box: [0, 1, 2, 3].map((k) => g.reduce((s, b) => s + b[k]!, 0) / g.length) as Box,
    neighbors: g.length,
  }));
}

/** The face in `box`, or null when none is found. */
export function findFace(cascade: Cascade, img: RgbImage, box: Box, opts: FaceSearchOptions = DEFAULT_FACE_SEARCH): FoundFace | null {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const x0 = Math.max(0, box[0] - opts.margin * bw);
  const y0 = Math.max(0, box[1] - opts.margin * bh);
  const x1 = Math.min(img.width, box[2] + opts.margin * bw);
  const y1 = Math.min(img.height, box[3] + opts.margin * bh);
  const rw = x1 - x0;
  const rh = y1 - y0;
  const base = Math.max(1, rw / opts.workWidth);
  const minSide = Math.min(bw, bh);
  const windows: Box[] = [];
  // s = source pixels per sampled pixel; the cascade's window then covers cascade.width * s source pixels.
  for (let s = Math.max(base, (opts.minFace * minSide) / cascade.width); ; s *= opts.scaleStep) {
    const w = Math.floor(rw / s);
    const h = Math.floor(rh / s);
    if (w < cascade.width || h < cascade.height) break;
    const grey = greyResampled(img, x0, y0, s, w, h);
    // Windows of the finest scales are small: 2-pixel steps there (a quarter of the windows, each
    // still overlapping its neighbour by 90 %); 1-pixel steps once a pixel is coarse.
    const step = s < 2 * base ? 2 : 1;
    for (const p of scanWindows(cascade, grey, step)) {
      windows.push([x0 + p.x * s, y0 + p.y * s, x0 + (p.x + cascade.width) * s, y0 + (p.y + cascade.height) * s]);
    }
  }
  const faces = groupBoxes(windows, 0.3).filter(
    (g) => g.neighbors >= opts.minNeighbors && (g.box[1] + g.box[3]) / 2 <= box[1] + opts.upper * bh,
  );
  faces.sort((a, b) => b.neighbors - a.neighbors || b.box[2] - b.box[0] - (a.box[2] - a.box[0]));
  return faces[0] ?? null;
}

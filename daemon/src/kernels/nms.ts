/**
 * Class-aware greedy non-maximum suppression: the pure TypeScript reference
 * (a native version is parity-tested against it).
 *
 * Contract:
 * - inputs: boxes [x1,y1,x2,y2], scores, class ids (parallel arrays) and an IoU threshold;
 * - candidates are visited by score descending, ties broken by lower original index;
 * - a box is suppressed when its IoU with an already-kept box of the SAME class is
 *   strictly greater than the threshold;
 * - IoU uses areas (x2-x1)*(y2-y1) without +1, a degenerate (inverted) box has area 0,
 *   and a zero union gives IoU 0. This is the one IoU of the code base (tracking uses it too);
 * - returns the kept indices in keep order.
 *
 * suppressAcrossClasses() is the second, class-blind pass over what nms() kept
 * (same visiting order and IoU rule): the detector uses it because one animal
 * often scores as both cat and dog with near-identical boxes.
 */
export type NmsBox = readonly [number, number, number, number];

/** Area of a box; 0 for a degenerate one. */
export function boxArea(b: NmsBox): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union in [0,1]; 0 for disjoint or degenerate boxes. */
export function iou(a: NmsBox, b: NmsBox): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

export function nms(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iouThreshold: number): number[] {
  const n = boxes.length;
  if (scores.length !== n || classes.length !== n) {
    throw new RangeError(`nms: ${n} boxes, ${scores.length} scores and ${classes.length} classes must have the same length`);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => scores[j]! - scores[i]! || i - j);
  const kept: number[] = [];
  for (const i of order) {
    let suppressed = false;
    for (const k of kept) {
      if (classes[k] === classes[i] && iou(boxes[k]!, boxes[i]!) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(i);
  }
  return kept;
}

/**
 * Class-blind greedy suppression over already kept indices (in keep order, i.e. by score):
 * a box is dropped when its IoU with an earlier surviving box of ANY class is strictly
 * greater than `iouThreshold`. Returns the surviving subset of `kept`, in order.
 */
export function suppressAcrossClasses(boxes: readonly NmsBox[], kept: readonly number[], iouThreshold: number): number[] {
  const out: number[] = [];
  for (const i of kept) if (!out.some((k) => iou(boxes[k]!, boxes[i]!) > iouThreshold)) out.push(i);
  return out;
}

/**
 * How far a quantized model's outputs are from FP32's, per probe sample
 * (`ref[k][o]`: sample k, graph output o), averaged over samples. The mixed
 * precision search ranks tensors by it, so it should measure what the model's
 * user acts on.
 */
export type OutputError = (ref: readonly Float32Array[][], got: readonly Float32Array[][]) => number;

/** ||y_q - y|| / ||y|| over all outputs of a sample (relative L2). */
export const relativeL2: OutputError = (ref, got) => {
  let total = 0;
  for (let k = 0; k < ref.length; k++) {
    let num = 0;
    let den = 0;
    ref[k]!.forEach((r, o) => {
      const g = got[k]![o]!;
      for (let i = 0; i < r.length; i++) {
        num += (g[i]! - r[i]!) ** 2;
        den += r[i]! ** 2;
      }
    });
    total += Math.sqrt(num / Math.max(den, 1e-30));
  }
  return total / Math.max(1, ref.length);
};

/**
 * YOLOX-style output [1, A, 5 + C] (x, y, w, h, obj, classes): the raw output's
 * L2 is dominated by box coordinates of anchors nobody looks at, while the
 * detector acts on scores obj * class of a few classes. This error is the
 * relative L2 of those scores over all anchors, plus the relative L2 of the box
 * values weighted by FP32 objectness (the boxes of real detections).
 */
export function yoloxScoreError(classIds: readonly number[], stride: number): OutputError {
  return (ref, got) => {
    let total = 0;
    for (let k = 0; k < ref.length; k++) {
      const r = ref[k]![0]!;
      const g = got[k]![0]!;
      let sn = 0,
        sd = 0,
        bn = 0,
        bd = 0;
      for (let o = 0; o + stride <= r.length; o += stride) {
        for (const c of classIds) {
          const pr = r[o + 4]! * r[o + 5 + c]!;
          const pg = g[o + 4]! * g[o + 5 + c]!;
          sn += (pg - pr) ** 2;
          sd += pr * pr;
        }
        const w = Math.max(0, r[o + 4]!);
        for (let j = 0; j < 4; j++) {
          bn += w * (g[o + j]! - r[o + j]!) ** 2;
          bd += w * r[o + j]! ** 2;
        }
      }
      total += Math.sqrt(sn / Math.max(sd, 1e-30)) + Math.sqrt(bn / Math.max(bd, 1e-30));
    }
    return total / Math.max(1, ref.length);
  };
}

/**
 * Bias correction for weight quantization (Nagel et al., "Data-Free
 * Quantization", 2019, the empirical-mean variant): a Conv computes
 * y_c = sum W[c,i,k] x_i + b_c; with quantized weights W' = W + dW its output
 * mean moves by sum dW[c,i,k] E[x_i]. Where the inputs have a large mean
 * (post-SiLU tensors are mostly positive) and the weights cancel, this shift is
 * large compared to y, and it is systematic: every frame's scores move the
 * same way. Subtracting it from the float bias removes it; the bias stays
 * float in the QDQ model, so every runtime applies it.
 *
 * Border pixels see zero padding instead of E[x]; the correction ignores that
 * (it is exact for 1x1 convs and for the interior of larger kernels).
 */
import { DataType, attrInt, graphOf, type ModelProto } from '../onnx/proto.js';
import { dimsOf, floatTensor, readFloats } from '../onnx/tensors.js';
import { nameAllocator } from '../onnx/edit.js';
import { quantizeWeight } from './quantize.js';

export interface BiasCorrectionReport {
  /** Convs whose bias was changed, with the largest |shift| relative to the bias-free output scale. */
  corrected: { node: string; weight: string; maxShift: number }[];
}

/**
 * Pure core: the per-output-channel mean shift of a Conv whose weight [M, C/g, ...]
 * becomes `dequantized`, given the per-input-channel means of its input (length C).
 */
export function convMeanShift(
  weight: Float32Array,
  dequantized: Float32Array,
  dims: readonly number[],
  group: number,
  inputMeans: ArrayLike<number>,
): Float64Array {
  const m = dims[0]!;
  const cPerGroup = dims[1]!;
  const k = dims.slice(2).reduce((a, b) => a * b, 1);
  const outPerGroup = m / group;
  const shift = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    const firstIn = Math.floor(c / outPerGroup) * cPerGroup;
    let s = 0;
    for (let i = 0; i < cPerGroup; i++) {
      const mean = inputMeans[firstIn + i]!;
      if (mean === 0) continue;
      const base = (c * cPerGroup + i) * k;
      let d = 0;
      for (let j = 0; j < k; j++) d += dequantized[base + j]! - weight[base + j]!;
      s += d * mean;
    }
    shift[c] = s;
  }
  return shift;
}

/**
 * In place on the FP32 model, before `quantizeQdq`: every Conv with a constant
 * float weight (not in `floatWeights`) and known input channel means gets
 * b := b - shift (a zero bias is added where the Conv has none).
 */
export function correctConvBiases(
  m: ModelProto,
  inputMeans: ReadonlyMap<string, ArrayLike<number>>,
  floatWeights: ReadonlySet<string> = new Set(),
): BiasCorrectionReport {
  const g = graphOf(m);
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const uses = new Map<string, number>();
  for (const n of g.node) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const newName = nameAllocator(m);
  const report: BiasCorrectionReport = { corrected: [] };
  for (const n of g.node) {
    if (n.opType !== 'Conv') continue;
    const wName = n.input![1]!;
    const w = inits.get(wName);
    const means = inputMeans.get(n.input![0]!);
    if (!w || w.dataType !== DataType.FLOAT || floatWeights.has(wName) || !means) continue;
    const dims = dimsOf(w);
    const group = attrInt(n, 'group', 1);
    if (means.length !== dims[1]! * group) continue;
    const wf = readFloats(w);
    const { q, scales } = quantizeWeight(wf, dims, 0);
    const inner = wf.length / dims[0]!;
    const deq = Float32Array.from(q, (v, i) => v * scales[Math.floor(i / inner)]!);
    const shift = convMeanShift(wf, deq, dims, group, means);
    const bName = n.input![2];
    const b = bName ? inits.get(bName) : undefined;
    // A bias shared with another node (or not a float constant) is left alone rather than changed for both.
    if (bName && (!b || b.dataType !== DataType.FLOAT || (uses.get(bName) ?? 0) > 1)) continue;
    const old = b ? readFloats(b) : new Float32Array(dims[0]!);
    const fixed = Float32Array.from(old, (v, c) => v - shift[c]!);
    const t = floatTensor(newName(`${bName ?? wName}_corrected`), [dims[0]!], fixed);
    g.initializer.push(t);
    n.input = [n.input![0]!, wName, t.name!];
    report.corrected.push({ node: n.name ?? n.output![0]!, weight: wName, maxShift: shift.reduce((a, v) => Math.max(a, Math.abs(v)), 0) });
  }
  const referenced = new Set(g.node.flatMap((x) => x.input ?? []));
  g.initializer = g.initializer.filter((t) => referenced.has(t.name ?? ''));
  return report;
}

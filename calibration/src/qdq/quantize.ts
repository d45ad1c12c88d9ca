/**
 * FP32 -> QDQ INT8 ONNX (explicit quantization, as TensorRT 10+/11 and
 * onnxruntime read it):
 * - weights of Conv/ConvTranspose/Gemm/MatMul (constant initializers): per-channel
 *   symmetric int8 (zero point 0) on the output-channel axis, behind a DequantizeLinear;
 * - activations: per-tensor QuantizeLinear -> DequantizeLinear pairs on the tensors the
 *   layout selects; int8 symmetric (TensorRT's form: zp 0, scale amax/127) or uint8
 *   asymmetric over [max(min,-amax), min(max,amax)];
 * - optional int32 bias (scale = s_x * s_w[c]), which onnxruntime needs to fuse
 *   DQ->Conv->Q into QLinearConv.
 * Graph inputs and outputs keep their names and FP32 types.
 */
import { attrInt, DataType, graphOf, onnx, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { dimsOf, floatTensor, int32Tensor, int8Tensor, readFloats, uint8Tensor } from '../onnx/tensors.js';
import { nameAllocator, topoSort, upgradeOpset } from '../onnx/edit.js';
import type { MinMax } from '../ranges/histogram.js';

export type QdqLayout = 'conv-in' | 'conv-io' | 'full' | 'fused';
export const QDQ_LAYOUTS: readonly QdqLayout[] = ['conv-in', 'conv-io', 'full', 'fused'];
export type ActivationType = 'int8' | 'uint8';

export interface ActivationRange {
  amax: number;
  minmax: MinMax;
}

export interface QdqOptions {
  layout?: QdqLayout;
  activationType?: ActivationType;
  quantizeBias?: boolean;
  /** Weight initializers left in float (their ops then run in float on every runtime). */
  floatWeights?: ReadonlySet<string>;
}

const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Ops whose float activations `full` quantizes (inputs and outputs): ones onnxruntime/TensorRT have int8 kernels or fusions for. */
const FULL_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'Gemm',
  'MatMul',
  'Sigmoid',
  'Mul',
  'Add',
  'Concat',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Resize',
  'Clip',
  'Relu',
  'LeakyRelu',
]);

export interface QdqReport {
  weights: number;
  activations: number;
  skipped: string[];
}

/** The tensors each layout quantizes (activations only; weights are always quantized). */
export function selectActivations(m: ModelProto, layout: QdqLayout): Set<string> {
  const g = graphOf(m);
  const consts = new Set(g.initializer.map((t) => t.name ?? ''));
  const picked = new Set<string>();
  const add = (t: string): void => void (t && !consts.has(t) && picked.add(t));
  for (const n of g.node) {
    const op = n.opType ?? '';
    if (layout === 'conv-in' || layout === 'conv-io') {
      if (!WEIGHT_OPS.has(op)) continue;
      add(n.input![0]!);
      if (op === 'MatMul') add(n.input![1]!);
      if (layout === 'conv-io') add(n.output![0]!);
    } else if (FULL_OPS.has(op)) {
      // `full` and `fused`. Clip/Resize/Mul's extra inputs (min, max, scales) are constants and skipped by `add`.
      for (const i of n.input ?? []) add(i);
      add(n.output![0]!);
    }
  }
  if (layout === 'fused') for (const t of fusedIntoActivation(m)) picked.delete(t);
  return picked;
}

/**
 * Outputs of Conv/Gemm/MatMul/Add read only by a Relu or Clip: runtimes fuse the
 * activation into the op (onnxruntime's QLinearConv once Clip->Quantize folds,
 * TensorRT's conv+relu), so `fused` quantizes only the activation's output.
 */
function fusedIntoActivation(m: ModelProto): string[] {
  const g = graphOf(m);
  const consumers = new Map<string, string[]>();
  for (const n of g.node) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n.opType ?? '']);
  const outputs = new Set(g.output.map((o) => o.name ?? ''));
  const out: string[] = [];
  for (const n of g.node) {
    if (!['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add'].includes(n.opType ?? '')) continue;
    const t = n.output![0]!;
    const c = consumers.get(t) ?? [];
    if (!outputs.has(t) && c.length > 0 && c.every((op) => op === 'Relu' || op === 'Clip')) out.push(t);
  }
  return out;
}

export function quantizeQdq(m: ModelProto, ranges: ReadonlyMap<string, ActivationRange>, opts: QdqOptions = {}): QdqReport {
  const layout = opts.layout ?? 'full';
  const actType = opts.activationType ?? 'int8';
  upgradeOpset(m, 13);
  const g = graphOf(m);
  const newName = nameAllocator(m);
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const graphOutputs = new Set(g.output.map((o) => o.name ?? ''));
  const added: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const report: QdqReport = { weights: 0, activations: 0, skipped: [] };
  const actScale = new Map<string, number>();
  const renamed = new Map<string, string>();

  // 1. Activations: Q -> DQ right after the producer; consumers read the DQ output.
  for (const t of selectActivations(m, layout)) {
    const r = ranges.get(t);
    if (!r || !(r.amax > 0) || graphOutputs.has(t)) {
      report.skipped.push(t);
      continue;
    }
    const { scale, zp } = activationParams(r, actType);
    const s = floatTensor(newName(`${t}_scale`), [], Float32Array.of(scale));
    const z =
      actType === 'int8'
        ? int8Tensor(newName(`${t}_zero_point`), [], Int8Array.of(zp))
        : uint8Tensor(newName(`${t}_zero_point`), [], Uint8Array.of(zp));
    added.push(s, z);
    const q = newName(`${t}_QuantizeLinear_Output`);
    const dq = newName(`${t}_DequantizeLinear_Output`);
    nodes.push({ opType: 'QuantizeLinear', name: newName(`${t}_QuantizeLinear`), input: [t, s.name!, z.name!], output: [q] });
    nodes.push({ opType: 'DequantizeLinear', name: newName(`${t}_DequantizeLinear`), input: [q, s.name!, z.name!], output: [dq] });
    renamed.set(t, dq);
    actScale.set(t, scale);
    report.activations++;
  }
  for (const n of g.node) n.input = (n.input ?? []).map((i) => renamed.get(i) ?? i);

  // 2. Weights (and optionally biases) of the compute ops.
  const original = new Map([...renamed].map(([k, v]) => [v, k]));
  for (const n of g.node) {
    const op = n.opType ?? '';
    if (!WEIGHT_OPS.has(op)) continue;
    const wIndex = 1;
    const wName = n.input![wIndex];
    const w = wName ? inits.get(wName) : undefined;
    if (!w || w.dataType !== DataType.FLOAT || opts.floatWeights?.has(wName!)) continue;
    const axis =
      op === 'Conv' ? 0 : op === 'ConvTranspose' ? 1 : op === 'Gemm' ? (attrInt(n, 'transB', 0) === 1 ? 0 : 1) : dimsOf(w).length - 1;
    const qw = quantizeWeight(readFloats(w), dimsOf(w), axis);
    const base = wName!;
    const wq = int8Tensor(newName(`${base}_quantized`), dimsOf(w), qw.q);
    const ws = floatTensor(newName(`${base}_scale`), [qw.scales.length], qw.scales);
    const wz = int8Tensor(newName(`${base}_zero_point`), [qw.scales.length], new Int8Array(qw.scales.length));
    added.push(wq, ws, wz);
    const wdq = newName(`${base}_DequantizeLinear_Output`);
    nodes.push({
      opType: 'DequantizeLinear',
      name: newName(`${base}_DequantizeLinear`),
      input: [wq.name!, ws.name!, wz.name!],
      output: [wdq],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }],
    });
    n.input![wIndex] = wdq;
    report.weights++;
    const xScale = actScale.get(original.get(n.input![0]!) ?? '');
    const bName = op === 'Conv' || op === 'ConvTranspose' || op === 'Gemm' ? n.input![2] : undefined;
    const b = bName ? inits.get(bName) : undefined;
    if (opts.quantizeBias && b && xScale !== undefined && b.dataType === DataType.FLOAT) {
      const bf = readFloats(b);
      const bs = Float32Array.from(qw.scales, (sw) => sw * xScale);
      const bq = Int32Array.from(bf, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(v / bs[c]!))));
      const bqT = int32Tensor(newName(`${bName}_quantized`), [bf.length], bq);
      const bsT = floatTensor(newName(`${bName}_scale`), [bf.length], bs);
      const bzT = int32Tensor(newName(`${bName}_zero_point`), [bf.length], new Int32Array(bf.length));
      added.push(bqT, bsT, bzT);
      const bdq = newName(`${bName}_DequantizeLinear_Output`);
      nodes.push({
        opType: 'DequantizeLinear',
        name: newName(`${bName}_DequantizeLinear`),
        input: [bqT.name!, bsT.name!, bzT.name!],
        output: [bdq],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      });
      n.input![2] = bdq;
    }
  }
  g.node.push(...nodes);
  const referenced = new Set(g.node.flatMap((n) => n.input ?? []));
  g.initializer = [...g.initializer, ...added].filter((t) => referenced.has(t.name ?? ''));
  g.input = g.input.filter((i) => !inits.has(i.name ?? '') || referenced.has(i.name ?? ''));
  g.valueInfo = [];
  topoSort(m);
  return report;
}

export function activationParams(r: ActivationRange, type: ActivationType): { scale: number; zp: number } {
  if (type === 'int8') return { scale: r.amax / 127, zp: 0 };
  // The representable range must contain 0 exactly (zero padding, ReLU outputs).
  const lo = Math.min(0, Math.max(r.minmax.min, -r.amax));
  const hi = Math.max(0, Math.min(r.minmax.max, r.amax));
  const scale = (hi - lo) / 255 || r.amax / 255;
  const zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zp };
}

/** Symmetric int8 per channel along `axis`: scale = max|w| / 127 (1 for an all-zero channel). */
export function quantizeWeight(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scales: Float32Array } {
  const ch = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const amax = new Float32Array(ch);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % ch;
    const a = Math.abs(w[i]!);
    if (a > amax[c]!) amax[c] = a;
  }
  const scales = Float32Array.from(amax, (a) => (a > 0 ? a / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % ch;
    q[i] = Math.max(-127, Math.min(127, roundHalfEven(w[i]! / scales[c]!)));
  }
  return { q, scales };
}

/** Round half to even, as ONNX QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

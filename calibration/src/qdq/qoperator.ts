/**
 * QOperator int8 model (QLinearConv, QLinearAdd, ...) -> FP32 model with
 * dequantized weights, so it can be calibrated and re-quantized as QDQ.
 *
 * Each QLinear op becomes its FP32 op followed by a Clip to the range its
 * quantized output could represent, [(qmin - zp) * s, (qmax - zp) * s]: that
 * range is where fused activations (ReLU/ReLU6 in MobileNetV2) live, so the
 * FP32 graph keeps them. Rounding is the only thing dropped. Tensor names are
 * kept (now float), QuantizeLinear becomes that Clip and DequantizeLinear an
 * Identity, so graph outputs keep their names.
 */
import { DataType, graphOf, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { dimsOf, floatTensor, readNumbers } from '../onnx/tensors.js';
import { nameAllocator, topoSort } from '../onnx/edit.js';
import { TrainerError } from '../errors.js';

export interface DequantizeReport {
  converted: Record<string, number>;
}

export function dequantizeQOperator(m: ModelProto): DequantizeReport {
  const g = graphOf(m);
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const newName = nameAllocator(m);
  const converted: Record<string, number> = {};
  const added: TensorProto[] = [];
  const used = new Set<string>();

  const get = (name: string): TensorProto => {
    const t = inits.get(name);
    if (!t) throw new TrainerError('UNSUPPORTED_OP', `quantization parameter ${name} is not a constant initializer`, { tensor: name });
    used.add(name);
    return t;
  };
  const scalar = (name: string): number => readNumbers(get(name))[0]!;
  const qRange = (zpName: string): [number, number] => (get(zpName).dataType === DataType.INT8 ? [-128, 127] : [0, 255]);
  const constF = (base: string, dims: number[], data: Float32Array): string => {
    const t = floatTensor(newName(base), dims, data);
    added.push(t);
    return t.name!;
  };
  /** y = Clip(pre, lo, hi), lo/hi from the output scale and zero point. */
  const clip = (node: NodeProto, pre: string, out: string, sName: string, zName: string): NodeProto => {
    const s = scalar(sName);
    const z = scalar(zName);
    const [qmin, qmax] = qRange(zName);
    const lo = constF(`${out}_clip_min`, [], Float32Array.of((qmin - z) * s));
    const hi = constF(`${out}_clip_max`, [], Float32Array.of((qmax - z) * s));
    return { opType: 'Clip', name: newName(`${node.name || out}_clip`), input: [pre, lo, hi], output: [out] };
  };
  /** Per-axis dequantization of a constant: (q - zp[c]) * s[c] along `axis`. */
  const dequantConst = (qName: string, sName: string, zName: string, axis: number): { dims: number[]; data: Float32Array } => {
    const q = get(qName);
    const dims = dimsOf(q);
    const v = readNumbers(q);
    const s = readNumbers(get(sName));
    const z = readNumbers(get(zName));
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const ch = dims[axis] ?? 1;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = s.length === 1 ? 0 : Math.floor(i / inner) % ch;
      out[i] = (v[i]! - z[z.length === 1 ? 0 : c]!) * s[c]!;
    }
    return { dims, data: out };
  };

  const nodes: NodeProto[] = [];
  for (const n of g.node) {
    const op = n.opType ?? '';
    const i = n.input ?? [];
    const o = n.output![0]!;
    const count = (): void => void (converted[op] = (converted[op] ?? 0) + 1);
    if (op === 'QuantizeLinear') {
      nodes.push(clip(n, i[0]!, o, i[1]!, i[2]!));
      count();
    } else if (op === 'DequantizeLinear') {
      if (!inits.has(i[0]!)) {
        nodes.push({ opType: 'Identity', name: n.name ?? '', input: [i[0]!], output: [o] });
      } else {
        const d = dequantConst(i[0]!, i[1]!, i[2]!, 0);
        added.push(floatTensor(o, d.dims, d.data));
      }
      count();
    } else if (op === 'QLinearConv') {
      const w = dequantConst(i[3]!, i[4]!, i[5]!, 0);
      const wName = constF(`${i[3]!.replace(/_quantized$/, '')}_fp32`, w.dims, w.data);
      const inputs = [i[0]!, wName];
      if (i[8]) {
        const b = readNumbers(get(i[8]));
        const xs = scalar(i[1]!);
        const ws = readNumbers(get(i[4]!));
        inputs.push(
          constF(
            `${i[8].replace(/_quantized$/, '')}_fp32`,
            [b.length],
            Float32Array.from(b, (v, c) => v * xs * ws[ws.length === 1 ? 0 : c]!),
          ),
        );
      }
      const pre = newName(`${o}_preclip`);
      nodes.push({ opType: 'Conv', name: n.name ?? '', input: inputs, output: [pre], attribute: n.attribute ?? [] });
      nodes.push(clip(n, pre, o, i[6]!, i[7]!));
      count();
    } else if (op === 'QLinearAdd' || op === 'QLinearMatMul') {
      const operand = (k: number, axis: number): string => {
        if (!inits.has(i[k]!)) return i[k]!;
        const d = dequantConst(i[k]!, i[k + 1]!, i[k + 2]!, axis);
        return constF(`${i[k]!.replace(/_quantized$/, '')}_fp32`, d.dims, d.data);
      };
      // MatMul weights [K, N] carry per-column (last axis) scales.
      const b = operand(3, op === 'QLinearMatMul' ? 1 : 0);
      const pre = newName(`${o}_preclip`);
      nodes.push({ opType: op === 'QLinearAdd' ? 'Add' : 'MatMul', name: n.name ?? '', input: [operand(0, 0), b], output: [pre] });
      nodes.push(clip(n, pre, o, i[6]!, i[7]!));
      count();
    } else if (op === 'QLinearGlobalAveragePool') {
      const pre = newName(`${o}_preclip`);
      nodes.push({ opType: 'GlobalAveragePool', name: n.name ?? '', input: [i[0]!], output: [pre] });
      nodes.push(clip(n, pre, o, i[3]!, i[4]!));
      count();
    } else if (op.startsWith('QLinear') || op.endsWith('Integer')) {
      throw new TrainerError('UNSUPPORTED_OP', `cannot convert QOperator op ${op} (node ${n.name ?? ''}) back to FP32`, {
        op,
        node: n.name ?? '',
      });
    } else {
      nodes.push(n);
    }
  }
  g.node = nodes;
  // Quantized constants that only fed converted ops are dropped; anything else still referenced stays.
  const referenced = new Set(nodes.flatMap((n) => n.input ?? []));
  g.initializer = [...g.initializer.filter((t) => referenced.has(t.name ?? '') || !used.has(t.name ?? '')), ...added].filter((t) =>
    referenced.has(t.name ?? ''),
  );
  // Value infos described the uint8 tensors; their types are now float, so drop them (ORT infers).
  g.valueInfo = [];
  for (const out of g.output) if (out.type?.tensorType) out.type.tensorType.elemType = DataType.FLOAT;
  m.opsetImport = (m.opsetImport ?? []).filter((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  topoSort(m);
  return { converted };
}

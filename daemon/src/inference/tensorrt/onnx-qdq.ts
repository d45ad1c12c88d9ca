/**
 * What kind of quantisation an ONNX model carries, as TensorRT's ONNX parser sees it:
 * - `float`: no quantisation ops; TensorRT builds it at FP32/FP16 (or INT8 from a calibration cache);
 * - `qdq`: explicit QuantizeLinear/DequantizeLinear pairs around float ops; TensorRT builds explicit INT8;
 * - `qoperator`: integer operators (QLinearConv, QLinearAdd, ConvInteger, MatMulInteger,
 *   DynamicQuantizeLinear, ...) or ops outside the default ONNX domain (com.microsoft); TensorRT's
 *   parser has no importer for them, so TensorRT cannot take the model at all. Such a model may also
 *   contain Q/DQ nodes (at its inputs and outputs): the QOperator ops decide.
 */
import { readFileSync } from 'node:fs';
import onnxPkg from 'onnx-proto';
import { GlovesError } from '../../errors.js';

export type OnnxQuantKind = 'float' | 'qdq' | 'qoperator';

export interface OnnxModelKind {
  kind: OnnxQuantKind;
  /** Op types that make it QOperator (domain-qualified outside the default domain), with counts. */
  qoperatorOps: Record<string, number>;
  /** QuantizeLinear + DequantizeLinear nodes. */
  qdqNodes: number;
}

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);
const INTEGER_OPS = new Set(['ConvInteger', 'MatMulInteger', 'DynamicQuantizeLinear']);
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Is this (domain, op) one TensorRT's ONNX parser refuses as a quantised operator or a foreign op? */
export function isQOperatorOp(opType: string, domain: string | null | undefined): boolean {
  return !DEFAULT_DOMAINS.has(domain ?? '') || opType.startsWith('QLinear') || INTEGER_OPS.has(opType);
}

export function classifyOnnxBytes(bytes: Uint8Array, file = '<memory>'): OnnxModelKind {
  let model: onnxPkg.onnx.ModelProto;
  try {
    model = onnxPkg.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new GlovesError('MODEL_LOAD_FAILED', `cannot read ONNX model ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (!model.graph) throw new GlovesError('MODEL_LOAD_FAILED', `ONNX model ${file} has no graph`, { file });
  const qoperatorOps: Record<string, number> = {};
  let qdqNodes = 0;
  const visit = (nodes: onnxPkg.onnx.INodeProto[] | null | undefined): void => {
    for (const n of nodes ?? []) {
      const op = n.opType ?? '';
      if (isQOperatorOp(op, n.domain)) {
        const key = DEFAULT_DOMAINS.has(n.domain ?? '') ? op : `${n.domain}.${op}`;
        qoperatorOps[key] = (qoperatorOps[key] ?? 0) + 1;
      } else if (QDQ.has(op)) qdqNodes++;
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g.node);
        for (const g of a.graphs ?? []) visit(g.node);
      }
    }
  };
  visit(model.graph.node);
  const kind: OnnxQuantKind = Object.keys(qoperatorOps).length > 0 ? 'qoperator' : qdqNodes > 0 ? 'qdq' : 'float';
  return { kind, qoperatorOps, qdqNodes };
}

/** Classify an ONNX file; MODEL_LOAD_FAILED when it is not one. */
export function classifyOnnxModel(file: string): OnnxModelKind {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new GlovesError('MODEL_LOAD_FAILED', `cannot read ONNX model ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return classifyOnnxBytes(bytes, file);
}

/** "52 QLinearConv, 11 QLinearAdd, ..." (most frequent first). */
export function describeOps(ops: Record<string, number>, max = 4): string {
  const all = Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = all.slice(0, max).map(([op, n]) => `${n} ${op}`);
  return all.length > max ? `${shown.join(', ')}, ...` : shown.join(', ');
}

/** Does an ONNX model carry explicit quantisation (QuantizeLinear/DequantizeLinear nodes) and no QOperator ops? */
export function modelHasQdq(file: string): boolean {
  return classifyOnnxModel(file).kind === 'qdq';
}

/**
 * ONNX ModelProto load/encode on the generated protobufjs code of `onnx-proto`
 * (a CommonJS module; its namespace is re-exported here with its types).
 * int64 fields arrive as `Long` objects: use `toInt` to read them.
 */
import onnxPkg from 'onnx-proto';
import { readFileSync, writeFileSync } from 'node:fs';
import { TrainerError } from '../errors.js';

export const onnx = onnxPkg.onnx;
export type ModelProto = onnxPkg.onnx.ModelProto;
export type GraphProto = onnxPkg.onnx.IGraphProto;
export type NodeProto = onnxPkg.onnx.INodeProto;
export type TensorProto = onnxPkg.onnx.ITensorProto;
export type ValueInfoProto = onnxPkg.onnx.IValueInfoProto;
export type AttributeProto = onnxPkg.onnx.IAttributeProto;

export const DataType = onnx.TensorProto.DataType;

interface LongLike {
  toNumber(): number;
}

/** A protobuf int64 (number or Long) as a JS number. */
export function toInt(v: number | LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function decodeModel(bytes: Uint8Array, source = '(buffer)'): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new TrainerError('ONNX_INVALID', `${source} is not an ONNX model: ${(err as Error).message}`, { source }, { cause: err });
  }
  if (!m.graph || !m.graph.node || m.graph.node.length === 0) {
    throw new TrainerError('ONNX_INVALID', `${source} has no graph nodes`, { source });
  }
  return m;
}

export function loadModel(file: string): ModelProto {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new TrainerError('ONNX_INVALID', `cannot read ONNX model ${file}`, { file }, { cause: err });
  }
  return decodeModel(bytes, file);
}

export function encodeModel(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

export function saveModel(m: ModelProto, file: string): Uint8Array {
  const bytes = encodeModel(m);
  writeFileSync(file, bytes);
  return bytes;
}

/** A deep copy (encode/decode), so that edits never touch the caller's model. */
export function cloneModel(m: ModelProto): ModelProto {
  return onnx.ModelProto.decode(encodeModel(m));
}

export function graphOf(m: ModelProto): GraphProto & {
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
} {
  const g = m.graph;
  if (!g) throw new TrainerError('ONNX_INVALID', 'model has no graph');
  g.node ??= [];
  g.initializer ??= [];
  g.input ??= [];
  g.output ??= [];
  g.valueInfo ??= [];
  return g as ReturnType<typeof graphOf>;
}

export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.i !== null && a.i !== undefined ? toInt(a.i) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map((v) => toInt(v)) : undefined;
}

/** Reading and writing initializer data (raw_data little-endian, or the typed repeated fields). */
import { DataType, onnx, toInt, type TensorProto } from './proto.js';
import { TrainerError } from '../errors.js';

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toInt(d));
}

function numel(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function raw(t: TensorProto): Uint8Array | undefined {
  return t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
}

/** Any numeric initializer as float64 values (ints as their integer values). */
export function readNumbers(t: TensorProto): Float64Array {
  const n = numel(dimsOf(t));
  const out = new Float64Array(n);
  const r = raw(t);
  const dv = r ? new DataView(r.buffer, r.byteOffset, r.byteLength) : undefined;
  switch (t.dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < n; i++) out[i] = dv ? dv.getFloat32(i * 4, true) : t.floatData![i]!;
      return out;
    case DataType.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = dv ? dv.getFloat64(i * 8, true) : t.doubleData![i]!;
      return out;
    case DataType.INT8:
      for (let i = 0; i < n; i++) out[i] = dv ? dv.getInt8(i) : t.int32Data![i]!;
      return out;
    case DataType.UINT8:
      for (let i = 0; i < n; i++) out[i] = dv ? dv.getUint8(i) : t.int32Data![i]!;
      return out;
    case DataType.INT32:
      for (let i = 0; i < n; i++) out[i] = dv ? dv.getInt32(i * 4, true) : t.int32Data![i]!;
      return out;
    case DataType.INT64:
      for (let i = 0; i < n; i++) out[i] = dv ? Number(dv.getBigInt64(i * 8, true)) : toInt(t.int64Data![i]);
      return out;
    default:
      throw new TrainerError('UNSUPPORTED_OP', `initializer ${t.name} has unsupported data type ${t.dataType}`, {
        tensor: t.name,
        dataType: t.dataType,
      });
  }
}

export function readFloats(t: TensorProto): Float32Array {
  return Float32Array.from(readNumbers(t));
}

export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  return onnx.TensorProto.create({ name, dims, dataType: DataType.FLOAT, rawData: bytes });
}

export function int8Tensor(name: string, dims: number[], data: Int8Array): TensorProto {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: DataType.INT8,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  });
}

export function uint8Tensor(name: string, dims: number[], data: Uint8Array): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: DataType.UINT8, rawData: data.slice() });
}

export function int32Tensor(name: string, dims: number[], data: Int32Array): TensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) dv.setInt32(i * 4, data[i]!, true);
  return onnx.TensorProto.create({ name, dims, dataType: DataType.INT32, rawData: bytes });
}

export function int64Tensor(name: string, dims: number[], data: number[]): TensorProto {
  const bytes = new Uint8Array(data.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) dv.setBigInt64(i * 8, BigInt(data[i]!), true);
  return onnx.TensorProto.create({ name, dims, dataType: DataType.INT64, rawData: bytes });
}

/** Does an ONNX model carry explicit quantisation (QuantizeLinear/DequantizeLinear nodes)? */
import { readFileSync } from 'node:fs';
import onnxPkg from 'onnx-proto';
import { GlovesError } from '../errors.js';

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);

export function modelHasQdq(file: string): boolean {
  let model: onnxPkg.onnx.ModelProto;
  try {
    model = onnxPkg.onnx.ModelProto.decode(readFileSync(file));
  } catch (err) {
    throw new GlovesError('MODEL_LOAD_FAILED', `cannot read ONNX model ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return (model.graph?.node ?? []).some((n) => QDQ.has(n.opType ?? ''));
}

/**
 * Pure steps of the quantize pipeline (the orchestration is ./run.ts): preparing
 * the FP32 graph the ranges and cache names refer to, and choosing amax per tensor.
 */
import { assertSupportedOps, isQOperatorModel, resolveInputShapes } from '../onnx/graph.js';
import { cloneModel, type ModelProto } from '../onnx/proto.js';
import { upgradeOpset } from '../onnx/edit.js';
import { dequantizeQOperator } from '../qdq/qoperator.js';
import { chooseAmax, type CalibrationMethod, type TensorStats } from '../ranges/calibrators.js';

/** Pure FP32 preparation: QOperator -> FP32 when needed, op check, opset 13. */
export function prepareFp32(
  model: ModelProto,
  dims: Record<string, number[]>,
): { fp32: ModelProto; converted: Record<string, number> | null } {
  const fp32 = cloneModel(model);
  assertSupportedOps(fp32, { allowQOperator: true });
  let converted: Record<string, number> | null = null;
  if (isQOperatorModel(fp32)) converted = dequantizeQOperator(fp32).converted;
  assertSupportedOps(fp32);
  resolveInputShapes(fp32, dims);
  upgradeOpset(fp32, 13);
  return { fp32, converted };
}

/** amax per tensor by one calibration method. */
export function chooseRanges(stats: ReadonlyMap<string, TensorStats>, method: CalibrationMethod, percentile?: number): Map<string, number> {
  const amax = new Map<string, number>();
  for (const [name, s] of stats) amax.set(name, chooseAmax(s, method, percentile));
  return amax;
}

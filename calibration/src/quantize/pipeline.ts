/**
 * The quantize pipeline: model (FP32, or QOperator int8 converted back to FP32)
 * + calibration samples -> per-tensor statistics -> amax by method ->
 * TensorRT calibration cache (names of the FP32 graph) and a QDQ INT8 model.
 */
import { assertSupportedOps, isQOperatorModel, resolveInputShapes, tensorNames } from '../onnx/graph.js';
import { cloneModel, type ModelProto } from '../onnx/proto.js';
import { upgradeOpset } from '../onnx/edit.js';
import { dequantizeQOperator } from '../qdq/qoperator.js';
import { quantizeQdq, type ActivationRange, type QdqOptions, type QdqReport } from '../qdq/quantize.js';
import { chooseAmax, type CalibrationMethod, type TensorStats } from '../ranges/calibrators.js';
import { collectRanges, type SampleSource } from '../ranges/collect.js';
import { cacheAlgorithm, writeCalibrationCache, type CacheEntry } from '../trt/cache.js';

export interface QuantizeInput {
  model: ModelProto;
  inputName: string;
  dims: number[];
  samples: SampleSource;
  count: number;
  method: CalibrationMethod;
  percentile?: number;
  trtVersion: string;
  qdq?: QdqOptions;
  threads?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface QuantizeResult {
  /** The FP32 graph the ranges (and cache names) refer to. */
  fp32: ModelProto;
  qdq: ModelProto;
  cache: string;
  amax: Map<string, number>;
  stats: Map<string, TensorStats>;
  converted: Record<string, number> | null;
  report: QdqReport;
}

/** Pure FP32 preparation: QOperator -> FP32 when needed, op check, opset 13. */
export function prepareFp32(model: ModelProto, dims: Record<string, number[]>): { fp32: ModelProto; converted: Record<string, number> | null } {
  const fp32 = cloneModel(model);
  assertSupportedOps(fp32, { allowQOperator: true });
  let converted: Record<string, number> | null = null;
  if (isQOperatorModel(fp32)) converted = dequantizeQOperator(fp32).converted;
  assertSupportedOps(fp32);
  resolveInputShapes(fp32, dims);
  upgradeOpset(fp32, 13);
  return { fp32, converted };
}

/** amax per tensor, and the cache entries for the tensors of the FP32 graph. */
export function chooseRanges(stats: ReadonlyMap<string, TensorStats>, method: CalibrationMethod, percentile?: number): Map<string, number> {
  const amax = new Map<string, number>();
  for (const [name, s] of stats) amax.set(name, chooseAmax(s, method, percentile));
  return amax;
}

export async function quantizeModel(q: QuantizeInput): Promise<QuantizeResult> {
  const { fp32, converted } = prepareFp32(q.model, { [q.inputName]: q.dims });
  const stats = await collectRanges(fp32, q.samples, q.count, {
    threads: q.threads ?? 2,
    onProgress: (pass, done, total) => q.onProgress?.(pass === 1 ? 'ranges (min/max)' : 'ranges (histograms)', done, total),
  });
  const amax = chooseRanges(stats, q.method, q.percentile);
  const names = new Set(tensorNames(fp32));
  const entries: CacheEntry[] = [...amax].filter(([n, a]) => names.has(n) && a > 0).map(([name, a]) => ({ name, amax: a }));
  const cache = writeCalibrationCache(entries, q.trtVersion, cacheAlgorithm(q.method));
  const ranges = new Map<string, ActivationRange>();
  for (const [name, a] of amax) ranges.set(name, { amax: a, minmax: stats.get(name)!.minmax });
  const qdq = cloneModel(fp32);
  const report = quantizeQdq(qdq, ranges, q.qdq);
  return { fp32, qdq, cache, amax, stats, converted, report };
}

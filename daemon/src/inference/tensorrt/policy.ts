/**
 * TensorRT policy (pure): which precision/INT8 mode to build, optimisation
 * profiles for dynamic inputs, and the engine cache key. The addon only does
 * what these decide.
 *
 * Which models TensorRT takes (modelSupport): not QOperator models (TensorRT's ONNX parser has no
 * QLinear*, ConvInteger, MatMulInteger, DynamicQuantizeLinear importers, nor com.microsoft ops), and not
 * Q/DQ models on a GPU without useful INT8 (their Q/DQ layers have no FP16 form). Under
 * `inference.backend: auto` such a model runs on onnxruntime instead (chooseModelBackend).
 *
 * Precision rules:
 * - INT8 needs a GPU with useful INT8 (not sm_53 Jetson Nano, sm_60, sm_62 TX2): else FP16, with a warning.
 * - A model with Q/DQ nodes is always built as explicit INT8 ('qdq'): its quantisation is part of the graph.
 *   The builder also sets FP16 so the layers outside Q/DQ pairs run in FP16.
 * - Otherwise INT8 needs a calibration cache matching this TensorRT version (implicit INT8 exists up to
 *   TensorRT 10; 11 removed it) and an algorithm the builder has a calibrator for (EntropyCalibration2,
 *   EntropyCalibration, MinMaxCalibration): else FP16, with a warning. The builder uses the calibrator
 *   class the cache header names; if TensorRT still asks for data the build fails with
 *   TRT_CALIBRATION_CACHE_REJECTED and the backend rebuilds at FP16.
 * - FP16 needs the FP16 builder flag (gone in TensorRT 11): else FP32, with a warning.
 * - DLA runs FP16/INT8 only: FP32 on DLA becomes FP16, with a warning; a DLA core the device
 *   lacks means GPU only, with a warning. DLA needs fixed shapes: a model with a free batch
 *   dimension stays on the GPU, with a warning (its 1..maxBatch profile would make TensorRT
 *   silently run it on the GPU anyway, or fail the build).
 */
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../../models/manifest.js';
import { GlovesError } from '../../errors.js';
import type { CalibrationAlgorithm, Int8Mode, NativeInfo, OptimizationProfile, Precision } from '../../native/addon.js';
import { describeOps, type OnnxModelKind, type OnnxQuantKind } from './onnx-qdq.js';

export interface PrecisionRequest {
  requested: Precision;
  dlaCore: number | null;
  modelKind: OnnxQuantKind;
  /** Does the model have an input with a free (batch) dimension? */
  dynamicInputs?: boolean;
  /** Text of the calibration cache found for the model, if any. */
  calibrationCache: string | null;
}

export interface BuildPlan {
  precision: Precision;
  int8Mode: Int8Mode;
  /** The calibrator class to build with (the cache header's algorithm); only with int8Mode calibration-cache. */
  calibrationAlgorithm: CalibrationAlgorithm | null;
  dlaCore: number;
  warnings: string[];
}

/** Calibration-cache algorithms the builder has a cache-only calibrator for. */
export const CALIBRATION_ALGORITHMS: readonly CalibrationAlgorithm[] = ['EntropyCalibration2', 'EntropyCalibration', 'MinMaxCalibration'];

export type ModelSupport = { ok: true } | { ok: false; reason: string };

/** Can TensorRT on this device take a model of this kind at all? */
export function modelSupport(
  info: Pick<NativeInfo, 'computeCapability'>,
  model: Pick<OnnxModelKind, 'kind' | 'qoperatorOps'>,
): ModelSupport {
  if (model.kind === 'qoperator') {
    return {
      ok: false,
      reason: `QOperator int8 model (${describeOps(model.qoperatorOps)}): TensorRT's ONNX parser cannot import it; use a float or Q/DQ model (gloves-trainer quantize)`,
    };
  }
  if (model.kind === 'qdq' && !hasUsefulInt8(info.computeCapability)) {
    return {
      ok: false,
      reason: `Q/DQ int8 model on sm_${(info.computeCapability ?? '?').replace('.', '')}, which has no useful INT8: use the float model for FP16`,
    };
  }
  return { ok: true };
}

export interface ModelBackendChoice {
  backend: 'tensorrt' | 'onnxruntime';
  reason: string;
}

/**
 * Per-model backend under inference.backend: `auto` uses TensorRT for what it can take and
 * onnxruntime for the rest; `tensorrt` refuses what TensorRT cannot take (TRT_UNSUPPORTED_MODEL);
 * `onnxruntime` is onnxruntime. `trt` is null when TensorRT is not usable here (why in `unavailable`).
 */
export function chooseModelBackend(
  requested: 'auto' | 'tensorrt' | 'onnxruntime',
  trt: Pick<NativeInfo, 'computeCapability' | 'tensorrtVersion'> | null,
  model: Pick<OnnxModelKind, 'kind' | 'qoperatorOps'>,
  unavailable = 'TensorRT is not available',
): ModelBackendChoice {
  if (requested === 'onnxruntime') return { backend: 'onnxruntime', reason: 'configured' };
  if (!trt) {
    if (requested === 'tensorrt')
      throw new GlovesError('BACKEND_UNAVAILABLE', `inference.backend is tensorrt, but ${unavailable}`, { backend: 'tensorrt' });
    return { backend: 'onnxruntime', reason: unavailable };
  }
  const support = modelSupport(trt, model);
  if (support.ok)
    return {
      backend: 'tensorrt',
      reason: `${model.kind} model, TensorRT ${trt.tensorrtVersion} on sm_${(trt.computeCapability ?? '?').replace('.', '')}`,
    };
  if (requested === 'tensorrt')
    throw new GlovesError('TRT_UNSUPPORTED_MODEL', `inference.backend is tensorrt, but: ${support.reason}`, {
      backend: 'tensorrt',
      kind: model.kind,
    });
  return { backend: 'onnxruntime', reason: support.reason };
}

/** Compute capabilities without useful INT8 (no DP4A / INT8 tensor cores). */
export function hasUsefulInt8(cc: string | null): boolean {
  if (!cc) return false;
  const [major, minor] = cc.split('.').map(Number) as [number, number];
  if (major < 6) return false;
  if (major === 6) return minor === 1;
  return true;
}

/** TensorRT's NV_TENSORRT_VERSION encoding of "major.minor.patch" (8.x: 8205; 10.x: 100300). */
export function nvTensorrtVersionCode(version: string): number {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number);
  return a >= 10 ? a * 10000 + b * 100 + c : a * 1000 + b * 100 + c;
}

/** The header line of a calibration cache: `TRT-<code>-<algorithm>`; null when it is not one. */
export function calibrationCacheHeader(text: string): { versionCode: number; algorithm: string } | null {
  const m = /^TRT-(\d+)-(\w+)\r?\n/.exec(text);
  return m ? { versionCode: Number(m[1]), algorithm: m[2]! } : null;
}

/** Scale written for a tensor whose cache scale is 0 or not finite (a calibration `amax` of 0). */
export const MIN_CALIBRATION_SCALE = 1e-12;

/**
 * A calibration cache with every zero, negative or non-finite scale replaced by MIN_CALIBRATION_SCALE
 * (an amax of 0, e.g. a tensor that was always 0 on the calibration set, gives scale 0, which TensorRT
 * divides by). Returns the text to build with and the tensors that were clamped.
 */
export function clampCalibrationScales(text: string): { text: string; clamped: string[] } {
  const clamped: string[] = [];
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, MIN_CALIBRATION_SCALE, false);
  const tiny = dv.getUint32(0, false).toString(16).padStart(8, '0');
  const out = text.replace(/^([^\r\n:]+): ([0-9a-fA-F]{8})(\r?)$/gm, (line, name: string, hex: string, cr: string) => {
    dv.setUint32(0, parseInt(hex, 16), false);
    const scale = dv.getFloat32(0, false);
    if (Number.isFinite(scale) && scale > 0) return line;
    clamped.push(name);
    return `${name}: ${tiny}${cr}`;
  });
  return { text: out, clamped };
}

export function planBuild(info: NativeInfo, req: PrecisionRequest): BuildPlan {
  const warnings: string[] = [];
  let precision = req.requested;
  let int8Mode: Int8Mode = 'none';
  let calibrationAlgorithm: CalibrationAlgorithm | null = null;
  let dlaCore = req.dlaCore ?? -1;
  if (dlaCore >= 0 && dlaCore >= (info.dlaCores ?? 0)) {
    warnings.push(`DLA core ${dlaCore} requested but the device has ${info.dlaCores ?? 0}: using the GPU only`);
    dlaCore = -1;
  }
  if (dlaCore >= 0 && req.dynamicInputs) {
    warnings.push(`DLA needs fixed shapes and this model has a free batch dimension: using the GPU only for it`);
    dlaCore = -1;
  }
  const support = modelSupport(info, { kind: req.modelKind, qoperatorOps: {} });
  if (!support.ok) throw new GlovesError('TRT_UNSUPPORTED_MODEL', support.reason, { kind: req.modelKind });
  if (req.modelKind === 'qdq') {
    if (precision !== 'int8') warnings.push(`model has Q/DQ nodes: building explicit INT8 instead of ${precision}`);
    return { precision: 'int8', int8Mode: 'qdq', calibrationAlgorithm: null, dlaCore, warnings };
  }
  if (precision === 'int8') {
    const trt = info.tensorrtVersion ?? '0.0.0';
    const header = req.calibrationCache ? calibrationCacheHeader(req.calibrationCache) : null;
    if (!hasUsefulInt8(info.computeCapability)) {
      warnings.push(`INT8 requested but sm_${(info.computeCapability ?? '?').replace('.', '')} has no useful INT8: using FP16`);
      precision = 'fp16';
    } else if (!info.implicitInt8) {
      warnings.push(`INT8 requested but TensorRT ${trt} has no implicit INT8 and the model has no Q/DQ nodes: using FP16`);
      precision = 'fp16';
    } else if (!header) {
      warnings.push('INT8 requested but no valid calibration cache was found for the model: using FP16');
      precision = 'fp16';
    } else if (header.versionCode !== nvTensorrtVersionCode(trt)) {
      warnings.push(
        `calibration cache is for TRT-${header.versionCode}, this is TensorRT ${trt} (TRT-${nvTensorrtVersionCode(trt)}): using FP16`,
      );
      precision = 'fp16';
    } else if (!(CALIBRATION_ALGORITHMS as readonly string[]).includes(header.algorithm)) {
      warnings.push(
        `calibration cache algorithm ${header.algorithm} has no cache-only calibrator here (${CALIBRATION_ALGORITHMS.join(', ')}): using FP16`,
      );
      precision = 'fp16';
    } else {
      int8Mode = 'calibration-cache';
      calibrationAlgorithm = header.algorithm as CalibrationAlgorithm;
    }
  }
  if (precision === 'fp32' && dlaCore >= 0) {
    warnings.push('DLA runs FP16/INT8 only: using FP16');
    precision = 'fp16';
  }
  if (precision === 'fp16' && info.precisionFlags === false) {
    warnings.push(`TensorRT ${info.tensorrtVersion} has no FP16 builder flag: using FP32`);
    precision = 'fp32';
    if (dlaCore >= 0) {
      warnings.push('FP32 cannot run on DLA: using the GPU only');
      dlaCore = -1;
    }
  }
  return { precision, int8Mode, calibrationAlgorithm, dlaCore, warnings };
}

/** The plan after TensorRT refused the calibration cache (TRT_CALIBRATION_CACHE_REJECTED): FP16, with a warning. */
export function fallbackFromCalibration(info: NativeInfo, plan: BuildPlan): BuildPlan {
  const precision: Precision = info.precisionFlags === false ? 'fp32' : 'fp16';
  const dlaCore = precision === 'fp32' ? -1 : plan.dlaCore;
  const warning = `TensorRT did not use the ${plan.calibrationAlgorithm ?? ''} calibration cache and asked for calibration data: using ${precision.toUpperCase()}`;
  return { precision, int8Mode: 'none', calibrationAlgorithm: null, dlaCore, warnings: [...plan.warnings, warning] };
}

/** Optimisation profiles: a string (free) dimension ranges 1..maxBatch, optimised for 1; others are fixed. */
export function profilesFor(m: ModelManifest, maxBatch: number): OptimizationProfile[] {
  const profiles: OptimizationProfile[] = [];
  for (const t of m.inputs) {
    if (t.shape.every((d) => typeof d === 'number')) continue;
    const fixed = (v: number): number[] => t.shape.map((d) => (typeof d === 'number' ? d : v));
    if (t.shape.slice(1).some((d) => typeof d !== 'number')) {
      throw new GlovesError(
        'TRT_UNSUPPORTED',
        `${m.name}: input ${t.name} has free dimensions other than the batch: [${t.shape.join(',')}]`,
      );
    }
    profiles.push({ name: t.name, min: fixed(1), opt: fixed(1), max: fixed(maxBatch) });
  }
  return profiles;
}

export interface EngineKeyParts {
  modelSha256: string;
  tensorrtVersion: string;
  computeCapability: string;
  /** The whole Orin family is sm_87: the name and SM count tell an AGX Orin from an Orin Nano. */
  deviceName: string | null;
  multiprocessors: number | null;
  precision: Precision;
  int8Mode: Int8Mode;
  dlaCore: number;
  /** Input shapes: the fixed shape or the profile per input. */
  inputs: { name: string; min: number[]; opt: number[]; max: number[] }[];
  /** sha256 of the calibration cache when one is used. */
  calibrationSha256: string | null;
}

/** The cache key: sha256 over everything that makes an engine valid for this device and model. */
export function engineKey(p: EngineKeyParts): string {
  const canonical = JSON.stringify([
    p.modelSha256,
    p.tensorrtVersion,
    p.computeCapability,
    p.deviceName,
    p.multiprocessors,
    p.precision,
    p.int8Mode,
    p.dlaCore,
    p.inputs,
    p.calibrationSha256,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A readable file name that still carries the whole key: <model>.trt<ver>.sm<cc>.<precision>.<GPU|DLA_n>.<key16>.engine */
export function engineFileName(model: string, p: EngineKeyParts): string {
  const dev = p.dlaCore >= 0 ? `DLA_${p.dlaCore}` : 'GPU';
  return `${model}.trt${p.tensorrtVersion}.sm${p.computeCapability.replace('.', '')}.${p.precision}.${dev}.${engineKey(p).slice(0, 16)}.engine`;
}

/** The inputs part of the key: fixed shapes become min = opt = max. */
export function keyInputs(m: ModelManifest, profiles: OptimizationProfile[]): EngineKeyParts['inputs'] {
  return m.inputs.map((t) => {
    const p = profiles.find((q) => q.name === t.name);
    const fixed = t.shape.map(Number);
    return p ? { name: t.name, min: p.min, opt: p.opt, max: p.max } : { name: t.name, min: fixed, opt: fixed, max: fixed };
  });
}

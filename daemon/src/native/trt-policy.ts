/**
 * TensorRT policy (pure): which precision/INT8 mode to build, optimisation
 * profiles for dynamic inputs, and the engine cache key. The addon only does
 * what these decide.
 *
 * Precision rules:
 * - INT8 needs a GPU with useful INT8 (not sm_53 Jetson Nano, sm_60, sm_62 TX2): else FP16, with a warning.
 * - A model with Q/DQ nodes is always built as explicit INT8 ('qdq'): its quantisation is part of the graph.
 * - Otherwise INT8 needs a calibration cache matching this TensorRT version (implicit INT8 exists up to
 *   TensorRT 10; 11 removed it): else FP16, with a warning.
 * - FP16 needs the FP16 builder flag (gone in TensorRT 11): else FP32, with a warning.
 * - DLA runs FP16/INT8 only: FP32 on DLA becomes FP16, with a warning; a DLA core the device
 *   lacks means GPU only, with a warning.
 */
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../models/manifest.js';
import { GlovesError } from '../errors.js';
import type { Int8Mode, NativeInfo, OptimizationProfile, Precision } from './addon.js';

export interface PrecisionRequest {
  requested: Precision;
  dlaCore: number | null;
  modelHasQdq: boolean;
  /** Text of the calibration cache found for the model, if any. */
  calibrationCache: string | null;
}

export interface BuildPlan {
  precision: Precision;
  int8Mode: Int8Mode;
  dlaCore: number;
  warnings: string[];
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

export function planBuild(info: NativeInfo, req: PrecisionRequest): BuildPlan {
  const warnings: string[] = [];
  let precision = req.requested;
  let int8Mode: Int8Mode = 'none';
  let dlaCore = req.dlaCore ?? -1;
  if (dlaCore >= 0 && dlaCore >= (info.dlaCores ?? 0)) {
    warnings.push(`DLA core ${dlaCore} requested but the device has ${info.dlaCores ?? 0}: using the GPU only`);
    dlaCore = -1;
  }
  if (req.modelHasQdq) {
    if (precision !== 'int8') warnings.push(`model has Q/DQ nodes: building explicit INT8 instead of ${precision}`);
    return { precision: 'int8', int8Mode: 'qdq', dlaCore, warnings };
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
      warnings.push(`calibration cache is for TRT-${header.versionCode}, this is TensorRT ${trt} (TRT-${nvTensorrtVersionCode(trt)}): using FP16`);
      precision = 'fp16';
    } else {
      int8Mode = 'calibration-cache';
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
  return { precision, int8Mode, dlaCore, warnings };
}

/** Optimisation profiles: a string (free) dimension ranges 1..maxBatch, optimised for 1; others are fixed. */
export function profilesFor(m: ModelManifest, maxBatch: number): OptimizationProfile[] {
  const profiles: OptimizationProfile[] = [];
  for (const t of m.inputs) {
    if (t.shape.every((d) => typeof d === 'number')) continue;
    const fixed = (v: number): number[] => t.shape.map((d) => (typeof d === 'number' ? d : v));
    if (t.shape.slice(1).some((d) => typeof d !== 'number')) {
      throw new GlovesError('TRT_UNSUPPORTED', `${m.name}: input ${t.name} has free dimensions other than the batch: [${t.shape.join(',')}]`);
    }
    profiles.push({ name: t.name, min: fixed(1), opt: fixed(1), max: fixed(maxBatch) });
  }
  return profiles;
}

export interface EngineKeyParts {
  modelSha256: string;
  tensorrtVersion: string;
  computeCapability: string;
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
  const canonical = JSON.stringify([p.modelSha256, p.tensorrtVersion, p.computeCapability, p.precision, p.int8Mode, p.dlaCore, p.inputs, p.calibrationSha256]);
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

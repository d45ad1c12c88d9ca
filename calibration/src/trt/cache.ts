/**
 * TensorRT INT8 calibration cache (text form), as TensorRT's calibrators and
 * ONNX Runtime's TensorRT provider read it:
 *
 *   TRT-<NV_TENSORRT_VERSION>-<EntropyCalibration2|MinMaxCalibration>
 *   <tensor name>: <8 hex digits>
 *
 * The hex digits are the big-endian IEEE-754 float32 bits of the scale amax/127.
 * NV_TENSORRT_VERSION is major*1000+minor*100+patch on 8.x and
 * major*10000+minor*100+patch from 10.x on. Readers split each line at the
 * first ':', so names containing ':' are refused.
 */
import { TrainerError } from '../errors.js';
import type { CalibrationMethod } from '../ranges/calibrators.js';

export type CacheAlgorithm = 'EntropyCalibration2' | 'MinMaxCalibration';

/** `8.2.5` -> 8205, `10.3.0` -> 100300. */
export function nvTensorrtVersion(version: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  if (!m) throw new TrainerError('TRT_VERSION_INVALID', `TensorRT version must be X.Y.Z, got ${JSON.stringify(version)}`, { version });
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (minor > 99 || patch > 99) throw new TrainerError('TRT_VERSION_INVALID', `TensorRT version ${version} is out of range`, { version });
  if (major >= 10) return major * 10000 + minor * 100 + patch;
  if (major >= 7) {
    if (minor > 9) throw new TrainerError('TRT_VERSION_INVALID', `TensorRT ${version}: minor must be < 10 on ${major}.x`, { version });
    return major * 1000 + minor * 100 + patch;
  }
  throw new TrainerError('TRT_VERSION_INVALID', `TensorRT ${version} is not supported (7.x and later)`, { version });
}

/** The algorithm name TensorRT expects for a calibration method. */
export function cacheAlgorithm(method: CalibrationMethod): CacheAlgorithm {
  return method === 'minmax' ? 'MinMaxCalibration' : 'EntropyCalibration2';
}

/** Big-endian float32 bits of `scale` as 8 lowercase hex digits. */
export function scaleHex(scale: number): string {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, scale, false);
  return dv.getUint32(0, false).toString(16).padStart(8, '0');
}

export function hexScale(hex: string): number {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new TrainerError('CALIBRATION_CACHE_INVALID', `bad scale ${JSON.stringify(hex)}`, { hex });
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, parseInt(hex, 16), false);
  return dv.getFloat32(0, false);
}

export function assertCacheName(name: string): void {
  if (name.length === 0 || name.includes(':') || /[\r\n]/.test(name)) {
    throw new TrainerError(
      'TENSOR_NAME_INVALID',
      `tensor name ${JSON.stringify(name)} cannot go in a TensorRT calibration cache (':' and newlines break its reader)`,
      { tensor: name },
    );
  }
}

export interface CacheEntry {
  name: string;
  amax: number;
}

/** The cache text (trailing newline). Names are checked before anything is written. */
export function writeCalibrationCache(entries: readonly CacheEntry[], trtVersion: string, algorithm: CacheAlgorithm): string {
  const header = `TRT-${nvTensorrtVersion(trtVersion)}-${algorithm}`;
  for (const e of entries) assertCacheName(e.name);
  const lines = entries.map((e) => {
    if (!(e.amax >= 0) || !Number.isFinite(e.amax))
      throw new TrainerError('RANGE_INVALID', `amax of ${e.name} is ${e.amax}`, { tensor: e.name });
    return `${e.name}: ${scaleHex(e.amax / 127)}`;
  });
  return [header, ...lines].join('\n') + '\n';
}

export interface ParsedCache {
  version: number;
  algorithm: string;
  scales: Map<string, number>;
}

export function parseCalibrationCache(text: string): ParsedCache {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const m = /^TRT-(\d+)-(\w+)$/.exec(lines[0] ?? '');
  if (!m) throw new TrainerError('CALIBRATION_CACHE_INVALID', `bad cache header ${JSON.stringify(lines[0] ?? '')}`);
  const scales = new Map<string, number>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) throw new TrainerError('CALIBRATION_CACHE_INVALID', `bad cache line ${JSON.stringify(l)}`);
    scales.set(l.slice(0, i), hexScale(l.slice(i + 1).trim()));
  }
  return { version: Number(m[1]), algorithm: m[2]!, scales };
}

/**
 * The typed interface of the native addon (build/Release/gloves_native.node)
 * and its loader. The addon is mechanism only: it re-checks its inputs (bad
 * input gives a coded Error, never a crash) but all validation, defaults and
 * policy are in TypeScript. A mock (../native-mock/mock-addon.ts) implements the same interface.
 *
 * Errors thrown by the addon carry a string `code`; `fromNative` turns them into
 * GlovesErrors with the same code (ImageError for image/region/size codes).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ERROR_CODES, GlovesError, isErrorCode, type ErrorCode } from '../errors.js';
import { packageRoot } from '../util/paths.js';
import { ImageError } from '../vision/image.js';

export interface NativeInfo {
  napiVersion: number;
  kernels: boolean;
  hasTensorRT: boolean;
  /** e.g. "8.2.3"; null without TensorRT. */
  tensorrtVersion: string | null;
  /** CUDA runtime version as CUDA encodes it (1000*major + 10*minor); null without TensorRT or CUDA. */
  cudaRuntimeVersion: number | null;
  cudaDriverVersion: number | null;
  /** "major.minor" of device 0, e.g. "5.3" on Jetson Nano; null when no GPU is visible. */
  computeCapability: string | null;
  deviceName: string | null;
  /** Only with TensorRT: which API the addon was compiled against. */
  namedTensorApi?: boolean;
  /** Only with TensorRT: calibrator-based (implicit) INT8 compiled in (TensorRT < 11). */
  implicitInt8?: boolean;
  /** Only with TensorRT: the FP16/INT8 builder flags exist (TensorRT < 11). */
  precisionFlags?: boolean;
  /** Only with TensorRT: builds report phases (IProgressMonitor, TensorRT >= 10). */
  progressMonitor?: boolean;
  dlaCores?: number;
  /** Streaming multiprocessors of device 0 (tells Orin modules apart; all are sm_87). */
  multiprocessors?: number | null;
  /** Device 0 shares memory with the CPU (Jetson): engines use zero-copy buffers. */
  integrated?: boolean;
}

export const PIXEL_FORMAT_CODE = { RGB: 0, BGR: 1, RGBA: 2, NV12: 3 } as const;
/** Int32 fields per slot in a PreprocessJob. */
export const SLOT_FIELDS = 11;

/**
 * One resample job: one source frame into one or more NCHW slots.
 * slots: per slot [rx, ry, rw, rh, outW, outH, cw, ch, padX, padY, offset] where (cw, ch)
 * is the content size placed at (padX, padY) and the rest of the slot is `pad`.
 * Output channel c = sample(RGB channel srcCh[c]) * mul[c] + add[c].
 */
export interface PreprocessJob {
  data: Uint8Array;
  format: number;
  width: number;
  height: number;
  out: Float32Array;
  slots: Int32Array;
  srcCh: [number, number, number];
  mul: [number, number, number];
  add: [number, number, number];
  pad: [number, number, number];
}

/** One grey downscale: the frame's luma averaged over factor x factor blocks into `out` ((width/factor) * (height/factor) bytes). */
export interface GreyJob {
  data: Uint8Array;
  format: number;
  width: number;
  height: number;
  factor: number;
  out: Uint8Array;
}

export type Precision = 'fp32' | 'fp16' | 'int8';
/** How INT8 is obtained: a calibration cache (implicit, TRT 8.x/10.x) or Q/DQ nodes in the ONNX (explicit). */
export type Int8Mode = 'none' | 'calibration-cache' | 'qdq';
/** The calibrator class, which must match the algorithm in the cache header (`TRT-<v>-<algorithm>`). */
export type CalibrationAlgorithm = 'EntropyCalibration2' | 'EntropyCalibration' | 'MinMaxCalibration';

export interface OptimizationProfile {
  name: string;
  min: number[];
  opt: number[];
  max: number[];
}

export interface EngineBuildOptions {
  onnxPath: string;
  precision: Precision;
  int8Mode: Int8Mode;
  /** Bytes of a TensorRT calibration cache, for int8Mode 'calibration-cache'. */
  calibrationCache?: Uint8Array;
  /** Calibrator class for the cache (default EntropyCalibration2). */
  calibrationAlgorithm?: CalibrationAlgorithm;
  /** A serialized timing cache from earlier builds on this device and TensorRT. */
  timingCache?: Uint8Array;
  /** Name shown by buildProgress() (the model). */
  label?: string;
  /** DLA core, or -1 for GPU only. DLA builds always allow GPU fallback. */
  dlaCore: number;
  workspaceBytes: number;
  /** One profile entry per input with a dynamic dimension. */
  profiles: OptimizationProfile[];
}

export interface EngineBuildResult {
  engine: Uint8Array;
  /** The timing cache after this build (to pass to the next one). */
  timingCache?: Uint8Array;
  /** TensorRT's info, warning and error lines of this build ("info: ...", "warning: ...", "error: ..."). */
  log: string[];
}

/** A running build, as buildProgress() reports it. */
export interface EngineBuildProgress {
  label: string;
  /** "outer > inner" phase names (TensorRT >= 10), or "" when unknown. */
  phase: string;
  step: number;
  steps: number;
  elapsedMs: number;
}

export interface EngineTensorInfo {
  name: string;
  mode: 'input' | 'output';
  /** -1 for dynamic dimensions. */
  dims: number[];
  dtype: string;
}

export interface NativeTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface NativeEngine {
  describe(): EngineTensorInfo[];
  /** One run at a time per engine (the TS session serialises calls). */
  run(inputs: NativeTensor[]): Promise<NativeTensor[]>;
  dispose(): void;
}

export interface NativeAddon {
  info(): NativeInfo;
  preprocess(job: PreprocessJob): void;
  preprocessAsync(job: PreprocessJob): Promise<void>;
  nms(boxes: Float64Array, scores: Float64Array, classes: Int32Array, iou: number): Int32Array;
  nmsAsync(boxes: Float64Array, scores: Float64Array, classes: Int32Array, iou: number): Promise<Int32Array>;
  greyDownscale(job: GreyJob): void;
  greyDownscaleAsync(job: GreyJob): Promise<void>;
  /** Per-cell counts of pixels whose grey levels differ by more than `threshold` (native/src/kernels/motion.h). */
  motionCells(
    a: Uint8Array,
    b: Uint8Array,
    width: number,
    height: number,
    threshold: number,
    cellsX: number,
    cellsY: number,
    counts: Int32Array,
  ): void;
  /**
   * Present only when built with TensorRT. Build errors: TRT_PARSE_FAILED, TRT_BUILD_FAILED,
   * TRT_UNSUPPORTED, TRT_CALIBRATION_CACHE_REJECTED (the cache was not used: TensorRT asked for data).
   */
  buildEngine?(opts: EngineBuildOptions): Promise<EngineBuildResult>;
  /**
   * Load errors: TRT_DESERIALIZE_FAILED only when TensorRT refused the bytes (stale or corrupt
   * engine: rebuild); TRT_LOAD_FAILED for the rest (memory, stream, DLA): a rebuild would not help.
   */
  loadEngine?(engine: Uint8Array, dlaCore: number): Promise<NativeEngine>;
  buildProgress?(): EngineBuildProgress[];
}

const IMAGE_CODES: ReadonlySet<string> = new Set(ERROR_CODES.vision);

/** Map an error thrown by the addon (or its mock) to a GlovesError with the same stable code. */
export function fromNative(err: unknown, fallbackCode: ErrorCode = 'NATIVE_FAILED'): GlovesError {
  if (err instanceof GlovesError) return err;
  const e = err as { code?: unknown; message?: unknown };
  // A code the tables do not know is a defect of the addon: keep its text in the message, not as a code.
  const code = isErrorCode(e?.code) ? e.code : fallbackCode;
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const message = isErrorCode(e?.code) || e?.code === undefined ? text : `${String(e.code)}: ${text}`;
  return IMAGE_CODES.has(code) ? new ImageError(code, message, { native: true }) : new GlovesError(code, message, { native: true });
}

export function defaultAddonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'gloves_native.node');
}

export interface LoadOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Load the addon, or null when it is not built or disabled with GLOVES_NATIVE=0
 * (then callers use the TypeScript references). A present but broken addon throws
 * NATIVE_LOAD_FAILED: silently running the slow path would hide a bad build.
 */
export function loadNativeAddon(opts: LoadOptions = {}): NativeAddon | null {
  if (override !== undefined && !opts.path) return override;
  const env = opts.env ?? process.env;
  if (env.GLOVES_NATIVE === '0') return null;
  const file = opts.path ?? defaultAddonPath();
  if (!existsSync(file)) return null;
  try {
    return createRequire(import.meta.url)(file) as NativeAddon;
  } catch (err) {
    throw new GlovesError('NATIVE_LOAD_FAILED', `cannot load native addon ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

let override: NativeAddon | null | undefined;

/**
 * Tests only: make loadNativeAddon() return `addon` (a mock), or null for "not built";
 * `undefined` restores the real loader. Lets in-process daemon tests run the TensorRT
 * paths over the mock addon.
 */
export function setNativeAddonOverride(addon: NativeAddon | null | undefined): void {
  override = addon;
}

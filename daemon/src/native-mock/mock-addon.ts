/**
 * A mock of the native addon implementing the same NativeAddon interface, for
 * machines without the hardware (TensorRT/GPU) and for the contract tests:
 * - kernels: a plain TypeScript implementation of the addon's slot semantics in
 *   the reference's double arithmetic (so it matches the reference exactly, where
 *   the C++ is held to the stated float tolerance);
 * - TensorRT: "engines" are a small JSON blob naming the ONNX file; running one
 *   runs that file in onnxruntime, so outputs are real. Every build request is
 *   recorded in `builds` so policy (precision fallback, DLA, profiles) is testable.
 * As strict as TensorRT where the real part would fail: the "parser" refuses
 * QOperator models (QLinear*, ConvInteger, MatMulInteger, DynamicQuantizeLinear,
 * non-default-domain ops) with TRT_PARSE_FAILED, which onnxruntime would accept;
 * a calibration cache whose header does not match the calibrator class or the
 * TensorRT version is TRT_CALIBRATION_CACHE_REJECTED; Q/DQ on a GPU without useful
 * INT8 and DLA with a dynamic profile fail the build; a run beyond the engine's
 * profile (batch > max) is TRT_RUN_FAILED. Errors use the codes the C++ uses.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GlovesError } from '../errors.js';
import type { PixelFormat } from '../vision/image.js';
import { toRgb } from '../vision/convert.js';
import type {
  EngineBuildOptions,
  EngineBuildProgress,
  EngineBuildResult,
  EngineTensorInfo,
  GreyJob,
  NativeAddon,
  NativeEngine,
  NativeInfo,
  NativeTensor,
  PreprocessJob,
} from '../native/addon.js';
import { SLOT_FIELDS } from '../native/addon.js';
import { assertGreyOut, assertMotionJob, greyDownscaleInto, greySize, motionCellsInto } from '../kernels/motion.js';
import { classifyOnnxBytes } from '../inference/tensorrt/onnx-qdq.js';
import { calibrationCacheHeader, hasUsefulInt8, nvTensorrtVersionCode } from '../inference/tensorrt/policy.js';

const MAGIC = 'GLOVES-MOCK-ENGINE/1\n';
const FORMATS: PixelFormat[] = ['RGB', 'BGR', 'RGBA', 'NV12'];

export interface MockOptions {
  info?: Partial<NativeInfo>;
  /** How long a build takes (a Jetson Nano takes minutes). */
  buildDelayMs?: number;
}

export interface MockAddon extends NativeAddon {
  readonly builds: EngineBuildOptions[];
  readonly loads: number;
  /** Codes the next loadEngine calls throw, in order (e.g. TRT_LOAD_FAILED for out of memory). */
  readonly loadFailures: string[];
  /** Make TensorRT ignore the next calibration caches, whatever their header says. */
  rejectCalibrationCaches: boolean;
}

/** What TensorRT's parser says about a node it has no importer for. */
function refuseQOperator(bytes: Uint8Array): void {
  let kind;
  try {
    kind = classifyOnnxBytes(bytes);
  } catch (err) {
    throw coded('TRT_PARSE_FAILED', `ONNX parse failed: ${(err as Error).message}`);
  }
  const ops = Object.keys(kind.qoperatorOps);
  if (ops.length > 0)
    throw coded('TRT_PARSE_FAILED', `In node -1 (importModel): UNSUPPORTED_NODE: No importer registered for op: ${ops[0]}`);
}

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

function runJob(job: PreprocessJob): void {
  const format = FORMATS[job.format];
  if (!format) throw coded('IMAGE_INVALID', 'unknown pixel format');
  let rgb;
  try {
    rgb = toRgb({ format, width: job.width, height: job.height, data: job.data });
  } catch (err) {
    throw coded((err as GlovesError).code ?? 'IMAGE_INVALID', (err as Error).message);
  }
  if (job.slots.length === 0 || job.slots.length % SLOT_FIELDS !== 0) throw coded('NATIVE_BAD_ARGUMENT', 'bad slots');
  for (let i = 0; i < job.slots.length; i += SLOT_FIELDS) {
    const [rx, ry, rw, rh, outW, outH, cw, ch, padX, padY, offset] = Array.from(job.slots.subarray(i, i + SLOT_FIELDS)) as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (rw <= 0 || rh <= 0) throw coded('REGION_INVALID', 'region must have a positive size');
    if (rx < 0 || ry < 0 || rx + rw > job.width || ry + rh > job.height) throw coded('REGION_OUTSIDE', 'region is outside the image');
    if (outW <= 0 || outH <= 0 || cw <= 0 || ch <= 0 || padX < 0 || padY < 0 || cw + padX > outW || ch + padY > outH)
      throw coded('SIZE_INVALID', 'bad slot geometry');
    if (offset < 0 || offset + 3 * outW * outH > job.out.length) throw coded('BUFFER_TOO_SMALL', 'output buffer too small');
    resampleSlot(rgb.data, rgb.width, [rx, ry, rw, rh], [outW, outH, cw, ch, padX, padY], offset, job);
  }
}

/** The addon's greyDownscale: the shared checks, rethrown as the addon's coded errors, then the reference. */
function grey(job: GreyJob): void {
  const format = FORMATS[job.format];
  if (!format) throw coded('IMAGE_INVALID', 'unknown pixel format');
  const img = { format, width: job.width, height: job.height, data: job.data };
  asCoded(() => {
    const size = greySize(img, job.factor);
    assertGreyOut(job.out, size.width, size.height);
  });
  greyDownscaleInto(img, job.factor, job.out);
}

function motionCells(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  height: number,
  threshold: number,
  cx: number,
  cy: number,
  counts: Int32Array,
): void {
  const ga = { width, height, data: a };
  const gb = { width, height, data: b };
  asCoded(() => assertMotionJob(ga, gb, threshold, cx, cy));
  if (counts.length !== cx * cy) throw coded('BUFFER_TOO_SMALL', 'counts must hold exactly cellsX * cellsY integers');
  motionCellsInto(ga, gb, threshold, cx, cy, counts);
}

function asCoded(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw coded((err as GlovesError).code ?? 'NATIVE_BAD_ARGUMENT', (err as Error).message);
  }
}

// The slot semantics of native/src/kernels/resample.cc, in the reference's arithmetic.
function resampleSlot(
  data: Uint8Array,
  width: number,
  [rx, ry, rw, rh]: number[],
  [outW, outH, cw, ch, padX, padY]: number[],
  offset: number,
  job: PreprocessJob,
): void {
  const plane = outW! * outH!;
  const { out, srcCh, mul, add, pad } = job;
  if (cw !== outW || ch !== outH) for (let c = 0; c < 3; c++) out.fill(pad[c]!, offset + c * plane, offset + (c + 1) * plane);
  const fx = rw! / cw!;
  const fy = rh! / ch!;
  for (let y = 0; y < ch!; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), rh! - 1);
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    const r0 = (ry! + y0) * width * 3;
    const r1 = (ry! + Math.min(y0 + 1, rh! - 1)) * width * 3;
    for (let x = 0; x < cw!; x++) {
      const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), rw! - 1);
      const x0 = Math.floor(sx);
      const wx = Math.fround(sx - x0);
      const c0 = (rx! + x0) * 3;
      const c1 = (rx! + Math.min(x0 + 1, rw! - 1)) * 3;
      const w00 = (1 - wx) * (1 - wy),
        w01 = wx * (1 - wy),
        w10 = (1 - wx) * wy,
        w11 = wx * wy;
      const o = offset + (y + padY!) * outW! + padX! + x;
      for (let c = 0; c < 3; c++) {
        const s = srcCh[c]!;
        const v = data[r0 + c0 + s]! * w00 + data[r0 + c1 + s]! * w01 + data[r1 + c0 + s]! * w10 + data[r1 + c1 + s]! * w11;
        out[o + c * plane] = v * mul[c]! + add[c]!;
      }
    }
  }
}

function nms(boxes: Float64Array, scores: Float64Array, classes: Int32Array, iouT: number): Int32Array {
  const n = scores.length;
  if (boxes.length !== 4 * n || classes.length !== n) throw coded('NMS_INVALID', 'length mismatch');
  if (scores.some(Number.isNaN)) throw coded('NMS_INVALID', 'NaN score');
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[j]! - scores[i]! || i - j);
  const area = (i: number): number => (boxes[4 * i + 2]! - boxes[4 * i]!) * (boxes[4 * i + 3]! - boxes[4 * i + 1]!);
  const kept: number[] = [];
  for (const i of order) {
    const hit = kept.some((k) => {
      if (classes[k] !== classes[i]) return false;
      const iw = Math.min(boxes[4 * k + 2]!, boxes[4 * i + 2]!) - Math.max(boxes[4 * k]!, boxes[4 * i]!);
      const ih = Math.min(boxes[4 * k + 3]!, boxes[4 * i + 3]!) - Math.max(boxes[4 * k + 1]!, boxes[4 * i + 1]!);
      const inter = iw > 0 && ih > 0 ? iw * ih : 0;
      const union = area(k) + area(i) - inter;
      return (union > 0 ? inter / union : 0) > iouT;
    });
    if (!hit) kept.push(i);
  }
  return Int32Array.from(kept);
}

interface MockProfile {
  name: string;
  min: number[];
  max: number[];
}

class MockEngine implements NativeEngine {
  private session: ort.InferenceSession | null;
  constructor(
    session: ort.InferenceSession,
    private readonly profiles: MockProfile[],
  ) {
    this.session = session;
  }
  describe(): EngineTensorInfo[] {
    const s = this.live();
    return [
      ...s.inputNames.map((name) => ({ name, mode: 'input' as const, dims: [], dtype: 'float32' })),
      ...s.outputNames.map((name) => ({ name, mode: 'output' as const, dims: [], dtype: 'float32' })),
    ];
  }
  async run(inputs: NativeTensor[]): Promise<NativeTensor[]> {
    const s = this.live();
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      const p = this.profiles.find((q) => q.name === t.name);
      if (p && (t.dims.length !== p.max.length || t.dims.some((d, i) => d < p.min[i]! || d > p.max[i]!))) {
        throw coded(
          'TRT_RUN_FAILED',
          `input ${t.name}: shape outside the engine's profile: [${t.dims.join(',')}] not within [${p.min.join(',')}]..[${p.max.join(',')}]`,
        );
      }
      feeds[t.name] = new ort.Tensor('float32', t.data, t.dims);
    }
    try {
      const out = await s.run(feeds);
      return s.outputNames.map((name) => ({ name, dims: [...out[name]!.dims], data: out[name]!.data as Float32Array }));
    } catch (err) {
      throw coded('TRT_RUN_FAILED', (err as Error).message);
    }
  }
  dispose(): void {
    const s = this.session;
    this.session = null;
    if (s) void s.release();
  }
  private live(): ort.InferenceSession {
    if (!this.session) throw coded('ENGINE_DISPOSED', 'engine was disposed');
    return this.session;
  }
}

export function createMockAddon(opts: MockOptions = {}): MockAddon {
  const info: NativeInfo = {
    napiVersion: 8,
    kernels: true,
    hasTensorRT: true,
    tensorrtVersion: '10.3.0',
    cudaRuntimeVersion: 12060,
    cudaDriverVersion: 12060,
    computeCapability: '8.7',
    deviceName: 'Mock Orin',
    namedTensorApi: true,
    implicitInt8: true,
    precisionFlags: true,
    progressMonitor: true,
    dlaCores: 2,
    multiprocessors: 16,
    integrated: true,
    ...opts.info,
  };
  const builds: EngineBuildOptions[] = [];
  const active = new Map<number, { label: string; start: number }>();
  let nextBuild = 0;
  let loads = 0;
  const build = async (o: EngineBuildOptions): Promise<EngineBuildResult> => {
    if (o.dlaCore >= (info.dlaCores ?? 0)) throw coded('TRT_BUILD_FAILED', `DLA core ${o.dlaCore} does not exist`);
    if (o.int8Mode === 'calibration-cache' && !o.calibrationCache) throw coded('TRT_BUILD_FAILED', 'INT8 calibration cache missing');
    let bytes: Buffer;
    try {
      bytes = readFileSync(o.onnxPath);
    } catch (err) {
      throw coded('TRT_PARSE_FAILED', `cannot read ${o.onnxPath}: ${(err as Error).message}`);
    }
    refuseQOperator(bytes);
    try {
      const s = await ort.InferenceSession.create(bytes);
      await s.release();
    } catch (err) {
      throw coded('TRT_PARSE_FAILED', `ONNX parse failed: ${(err as Error).message}`);
    }
    if (o.int8Mode === 'qdq' && !hasUsefulInt8(info.computeCapability))
      throw coded('TRT_BUILD_FAILED', `no INT8 implementation for the Q/DQ layers on sm_${info.computeCapability}`);
    if (o.dlaCore >= 0 && o.profiles.some((p) => p.min.some((d, i) => d !== p.max[i]))) {
      throw coded('TRT_BUILD_FAILED', `DLA core ${o.dlaCore}: DLA needs fixed shapes, profile of ${o.profiles[0]!.name} is dynamic`);
    }
    if (o.int8Mode === 'calibration-cache') {
      // TensorRT reads the cache only with the calibrator class and version it names; otherwise it asks for batches.
      const header = calibrationCacheHeader(new TextDecoder('latin1').decode(o.calibrationCache!));
      const algorithm = o.calibrationAlgorithm ?? 'EntropyCalibration2';
      if (
        mock.rejectCalibrationCaches ||
        !header ||
        header.algorithm !== algorithm ||
        header.versionCode !== nvTensorrtVersionCode(info.tensorrtVersion ?? '0.0.0')
      ) {
        throw coded('TRT_CALIBRATION_CACHE_REJECTED', 'TensorRT did not accept the calibration cache and asked for calibration data');
      }
    }
    if (opts.buildDelayMs) await new Promise((r) => setTimeout(r, opts.buildDelayMs));
    const profiles: MockProfile[] = o.profiles.map((p) => ({ name: p.name, min: p.min, max: p.max }));
    const blob =
      MAGIC + JSON.stringify({ onnxPath: o.onnxPath, precision: o.precision, dlaCore: o.dlaCore, trt: info.tensorrtVersion, profiles });
    const timing = o.timingCache ? new TextDecoder().decode(o.timingCache) : 'GLOVES-MOCK-TIMING/0';
    const timingCache = new TextEncoder().encode(`GLOVES-MOCK-TIMING/${Number(timing.split('/')[1] ?? 0) + 1}`);
    return { engine: new TextEncoder().encode(blob), timingCache, log: [`info: [MemUsageChange] mock build of ${o.label ?? o.onnxPath}`] };
  };
  const mock: MockAddon = {
    builds,
    get loads() {
      return loads;
    },
    loadFailures: [],
    rejectCalibrationCaches: false,
    info: () => ({ ...info }),
    preprocess: runJob,
    preprocessAsync: async (job) => runJob(job),
    nms,
    nmsAsync: async (b, s, c, i) => nms(b, s, c, i),
    greyDownscale: grey,
    greyDownscaleAsync: async (job) => grey(job),
    motionCells,
    async buildEngine(o: EngineBuildOptions): Promise<EngineBuildResult> {
      builds.push(structuredClone(o));
      const id = nextBuild++;
      active.set(id, { label: o.label ?? o.onnxPath, start: performance.now() });
      try {
        return await build(o);
      } finally {
        active.delete(id);
      }
    },
    buildProgress(): EngineBuildProgress[] {
      const now = performance.now();
      return [...active.values()].map((b) => ({ label: b.label, phase: '', step: 0, steps: 0, elapsedMs: now - b.start }));
    },
    async loadEngine(engine: Uint8Array, dlaCore: number): Promise<NativeEngine> {
      const failure = mock.loadFailures.shift();
      if (failure) throw coded(failure, `mock load failure ${failure}`);
      const text = new TextDecoder().decode(engine);
      if (!text.startsWith(MAGIC)) throw coded('TRT_DESERIALIZE_FAILED', 'not a serialized engine');
      const meta = JSON.parse(text.slice(MAGIC.length)) as { onnxPath: string; dlaCore: number; trt: string; profiles?: MockProfile[] };
      if (meta.trt !== info.tensorrtVersion) throw coded('TRT_DESERIALIZE_FAILED', 'engine built for another TensorRT');
      if (meta.dlaCore !== dlaCore) throw coded('TRT_LOAD_FAILED', 'engine built for another DLA core');
      loads++;
      try {
        return new MockEngine(await ort.InferenceSession.create(readFileSync(meta.onnxPath)), meta.profiles ?? []);
      } catch (err) {
        throw coded('TRT_LOAD_FAILED', (err as Error).message);
      }
    },
  };
  return mock;
}

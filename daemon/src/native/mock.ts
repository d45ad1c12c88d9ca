/**
 * A mock of the native addon implementing the same NativeAddon interface, for
 * machines without the hardware (TensorRT/GPU) and for the contract tests:
 * - kernels: a plain TypeScript implementation of the addon's slot semantics in
 *   the reference's double arithmetic (so it matches the reference exactly, where
 *   the C++ is held to the stated float tolerance);
 * - TensorRT: "engines" are a small JSON blob naming the ONNX file; running one
 *   runs that file in onnxruntime, so outputs are real. Every build request is
 *   recorded in `builds` so policy (precision fallback, DLA, profiles) is testable.
 * Errors use the codes the C++ uses.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GlovesError } from '../errors.js';
import type { PixelFormat } from '../vision/image.js';
import { toRgb } from '../vision/convert.js';
import type { EngineBuildOptions, EngineBuildResult, EngineTensorInfo, NativeAddon, NativeEngine, NativeInfo, NativeTensor, PreprocessJob } from './addon.js';
import { SLOT_FIELDS } from './addon.js';

const MAGIC = 'GLOVES-MOCK-ENGINE/1\n';
const FORMATS: PixelFormat[] = ['RGB', 'BGR', 'RGBA', 'NV12'];

export interface MockOptions {
  info?: Partial<NativeInfo>;
}

export interface MockAddon extends NativeAddon {
  readonly builds: EngineBuildOptions[];
  readonly loads: number;
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
    const [rx, ry, rw, rh, outW, outH, cw, ch, padX, padY, offset] = Array.from(job.slots.subarray(i, i + SLOT_FIELDS)) as number[] as [number, number, number, number, number, number, number, number, number, number, number];
    if (rw <= 0 || rh <= 0) throw coded('REGION_INVALID', 'region must have a positive size');
    if (rx < 0 || ry < 0 || rx + rw > job.width || ry + rh > job.height) throw coded('REGION_OUTSIDE', 'region is outside the image');
    if (outW <= 0 || outH <= 0 || cw <= 0 || ch <= 0 || padX < 0 || padY < 0 || cw + padX > outW || ch + padY > outH) throw coded('SIZE_INVALID', 'bad slot geometry');
    if (offset < 0 || offset + 3 * outW * outH > job.out.length) throw coded('BUFFER_TOO_SMALL', 'output buffer too small');
    resampleSlot(rgb.data, rgb.width, [rx, ry, rw, rh], [outW, outH, cw, ch, padX, padY], offset, job);
  }
}

// The slot semantics of native/src/kernels/resample.cc, in the reference's arithmetic.
function resampleSlot(data: Uint8Array, width: number, [rx, ry, rw, rh]: number[], [outW, outH, cw, ch, padX, padY]: number[], offset: number, job: PreprocessJob): void {
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
      const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
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

class MockEngine implements NativeEngine {
  private session: ort.InferenceSession | null;
  constructor(session: ort.InferenceSession) {
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
    for (const t of inputs) feeds[t.name] = new ort.Tensor('float32', t.data, t.dims);
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
    dlaCores: 2,
    ...opts.info,
  };
  const builds: EngineBuildOptions[] = [];
  let loads = 0;
  return {
    builds,
    get loads() {
      return loads;
    },
    info: () => ({ ...info }),
    preprocess: runJob,
    preprocessAsync: async (job) => runJob(job),
    nms,
    nmsAsync: async (b, s, c, i) => nms(b, s, c, i),
    async buildEngine(o: EngineBuildOptions): Promise<EngineBuildResult> {
      builds.push(structuredClone(o));
      if (o.dlaCore >= (info.dlaCores ?? 0)) throw coded('TRT_BUILD_FAILED', `DLA core ${o.dlaCore} does not exist`);
      if (o.int8Mode === 'calibration-cache' && !o.calibrationCache) throw coded('TRT_BUILD_FAILED', 'INT8 calibration cache missing');
      try {
        const s = await ort.InferenceSession.create(readFileSync(o.onnxPath));
        await s.release();
      } catch (err) {
        throw coded('TRT_BUILD_FAILED', `ONNX parse failed: ${(err as Error).message}`);
      }
      const blob = MAGIC + JSON.stringify({ onnxPath: o.onnxPath, precision: o.precision, dlaCore: o.dlaCore, trt: info.tensorrtVersion });
      return { engine: new TextEncoder().encode(blob), log: [] };
    },
    async loadEngine(engine: Uint8Array, dlaCore: number): Promise<NativeEngine> {
      const text = new TextDecoder().decode(engine);
      if (!text.startsWith(MAGIC)) throw coded('TRT_DESERIALIZE_FAILED', 'not a serialized engine');
      const meta = JSON.parse(text.slice(MAGIC.length)) as { onnxPath: string; dlaCore: number; trt: string };
      if (meta.trt !== info.tensorrtVersion || meta.dlaCore !== dlaCore) throw coded('TRT_DESERIALIZE_FAILED', 'engine built for another TensorRT or DLA core');
      loads++;
      try {
        return new MockEngine(await ort.InferenceSession.create(readFileSync(meta.onnxPath)));
      } catch (err) {
        throw coded('TRT_DESERIALIZE_FAILED', (err as Error).message);
      }
    },
  };
}

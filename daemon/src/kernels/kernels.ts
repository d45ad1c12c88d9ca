/**
 * The daemon's per-frame pixel work: frame -> NCHW tensor (letterbox/stretch),
 * batched box crops for the embedder, and class-aware NMS. Uses the native
 * addon when present, the TypeScript references otherwise; both paths share
 * validation (same GlovesError codes), geometry and NMS results; the native
 * pixel values match the references within the tolerance stated in
 * native/src/kernels/resample.h (1e-3 of an 8-bit level), tested on real frames.
 *
 * Policy: jobs with at least ASYNC_MIN_FLOATS output floats (or ASYNC_MIN_BOXES
 * boxes for NMS) run on the libuv pool and leave the main thread free; smaller
 * ones run synchronously, where a thread hop would cost more than the work.
 *
 * Motion gating: greyDownscale (frame -> small grey image) and motionCells (two grey
 * images -> per-cell counts of changed pixels); references and shared checks in
 * ./motion.ts, bit-identical on both paths. A downscale of at least
 * ASYNC_MIN_PIXELS source pixels runs on the libuv pool; motionCells reads two
 * small grey images and always runs synchronously.
 *
 * Hot-path callers should fill a reused buffer with preprocessInto(): a fresh
 * multi-MB Float32Array per frame (what preprocess() and cropBatch() return)
 * costs more than the native kernel itself (measured by bench/native-kernels.ts:
 * ~2 ms of page faults and GC per 416x416 tensor on the dev VM vs ~0.2 ms letterbox).
 */
import { GlovesError } from '../errors.js';
import type { PreprocessSpec } from '../models/manifest.js';
import { nms as nmsReference, type NmsBox } from './nms.js';
import { toRgb } from '../vision/convert.js';
import type { PixelImage } from '../vision/image.js';
import { preprocessInto, type PreprocessResult, type Region, type Transform } from '../vision/preprocess.js';
import { fromNative, loadNativeAddon, PIXEL_FORMAT_CODE, type NativeAddon } from '../native/addon.js';
import { normFor, packSlots, validateJob } from './geometry.js';
import { assertGreyOut, assertMotionJob, greyDownscaleInto, greySize, motionCellsInto, type GreyImage } from './motion.js';

export const ASYNC_MIN_FLOATS = 3 * 96 * 96;
export const ASYNC_MIN_BOXES = 2000;
/** 1280x720: below it a grey downscale takes well under a millisecond, less than a thread hop's worth of risk. */
export const ASYNC_MIN_PIXELS = 1280 * 720;

export interface BatchResult {
  tensor: Float32Array;
  transforms: Transform[];
}

export interface PixelKernels {
  /** 'native' when the addon does the work, 'typescript' for the references. */
  readonly impl: 'native' | 'typescript';
  preprocess(img: PixelImage, spec: PreprocessSpec, outW: number, outH: number, region?: Region): Promise<PreprocessResult>;
  /** Regions i -> batch slot i of `out`, starting at float `offset`. */
  preprocessInto(
    img: PixelImage,
    spec: PreprocessSpec,
    outW: number,
    outH: number,
    out: Float32Array,
    offset: number,
    regions: readonly Region[],
  ): Promise<Transform[]>;
  /** A [N,3,outH,outW] batch, one slot per region (embedder crops). */
  cropBatch(img: PixelImage, regions: readonly Region[], spec: PreprocessSpec, outW: number, outH: number): Promise<BatchResult>;
  nms(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iouThreshold: number): Promise<number[]>;
  /** The frame's luma averaged over factor x factor blocks; into `out` when given (it must have the result's size). */
  greyDownscale(img: PixelImage, factor: number, out?: Uint8Array): Promise<GreyImage>;
  /** Per cell of a cellsX x cellsY grid, the pixels whose grey levels differ by more than `threshold`. */
  motionCells(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number): Int32Array;
}

function assertNmsInput(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iou: number): void {
  const n = boxes.length;
  if (scores.length !== n || classes.length !== n) {
    throw new GlovesError(
      'NMS_INVALID',
      `nms: ${n} boxes, ${scores.length} scores and ${classes.length} classes must have the same length`,
    );
  }
  if (!Number.isFinite(iou)) throw new GlovesError('NMS_INVALID', `nms: IoU threshold must be finite, got ${iou}`);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new GlovesError('NMS_INVALID', `nms: score ${i} is NaN`);
    if (!Number.isInteger(classes[i]!) || classes[i]! < -0x80000000 || classes[i]! > 0x7fffffff) {
      throw new GlovesError('NMS_INVALID', `nms: class ${i} is not a 32-bit integer`);
    }
    if (boxes[i]!.length !== 4) throw new GlovesError('NMS_INVALID', `nms: box ${i} must have 4 numbers`);
  }
}

const whole = (img: PixelImage): Region => ({ x: 0, y: 0, width: img.width, height: img.height });

/** The allocating entry points, shared: each implementation supplies only preprocessInto and nms. */
abstract class KernelsBase implements PixelKernels {
  abstract readonly impl: 'native' | 'typescript';
  abstract preprocessInto(
    img: PixelImage,
    spec: PreprocessSpec,
    outW: number,
    outH: number,
    out: Float32Array,
    offset: number,
    regions: readonly Region[],
  ): Promise<Transform[]>;
  abstract nms(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iou: number): Promise<number[]>;
  protected abstract greyInto(img: PixelImage, factor: number, out: Uint8Array): Promise<void>;
  protected abstract cellsInto(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number, counts: Int32Array): void;

  async greyDownscale(img: PixelImage, factor: number, out?: Uint8Array): Promise<GreyImage> {
    const { width, height } = greySize(img, factor);
    const data = out ?? new Uint8Array(width * height);
    assertGreyOut(data, width, height);
    await this.greyInto(img, factor, data);
    return { width, height, data };
  }

  motionCells(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number): Int32Array {
    assertMotionJob(a, b, threshold, cellsX, cellsY);
    const counts = new Int32Array(cellsX * cellsY);
    this.cellsInto(a, b, threshold, cellsX, cellsY, counts);
    return counts;
  }

  async preprocess(img: PixelImage, spec: PreprocessSpec, outW: number, outH: number, region?: Region): Promise<PreprocessResult> {
    const tensor = new Float32Array(3 * outW * outH);
    const [transform] = await this.preprocessInto(img, spec, outW, outH, tensor, 0, [region ?? whole(img)]);
    return { tensor, transform: transform! };
  }

  async cropBatch(img: PixelImage, regions: readonly Region[], spec: PreprocessSpec, outW: number, outH: number): Promise<BatchResult> {
    const tensor = new Float32Array(3 * outW * outH * regions.length);
    const transforms = await this.preprocessInto(img, spec, outW, outH, tensor, 0, regions);
    return { tensor, transforms };
  }
}

class TsKernels extends KernelsBase {
  readonly impl = 'typescript' as const;

  async preprocessInto(
    img: PixelImage,
    spec: PreprocessSpec,
    outW: number,
    outH: number,
    out: Float32Array,
    offset: number,
    regions: readonly Region[],
  ): Promise<Transform[]> {
    validateJob(img, outW, outH, regions, out, offset);
    const rgb = toRgb(img);
    return regions.map((r, i) => preprocessInto(rgb, spec, outW, outH, out, offset + i * 3 * outW * outH, r));
  }

  async nms(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iou: number): Promise<number[]> {
    assertNmsInput(boxes, scores, classes, iou);
    return nmsReference(boxes, scores, classes, iou);
  }

  protected async greyInto(img: PixelImage, factor: number, out: Uint8Array): Promise<void> {
    greyDownscaleInto(img, factor, out);
  }

  protected cellsInto(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number, counts: Int32Array): void {
    motionCellsInto(a, b, threshold, cellsX, cellsY, counts);
  }
}

class NativeKernels extends KernelsBase {
  readonly impl = 'native' as const;
  constructor(private readonly addon: NativeAddon) {
    super();
  }

  async preprocessInto(
    img: PixelImage,
    spec: PreprocessSpec,
    outW: number,
    outH: number,
    out: Float32Array,
    offset: number,
    regions: readonly Region[],
  ): Promise<Transform[]> {
    validateJob(img, outW, outH, regions, out, offset);
    const { slots, transforms } = packSlots(spec, outW, outH, regions, offset);
    const job = {
      data: img.data,
      format: PIXEL_FORMAT_CODE[img.format],
      width: img.width,
      height: img.height,
      out,
      slots,
      ...normFor(spec),
    };
    try {
      if (3 * outW * outH * regions.length >= ASYNC_MIN_FLOATS) await this.addon.preprocessAsync(job);
      else this.addon.preprocess(job);
    } catch (err) {
      throw fromNative(err);
    }
    return transforms;
  }

  async nms(boxes: readonly NmsBox[], scores: ArrayLike<number>, classes: ArrayLike<number>, iou: number): Promise<number[]> {
    assertNmsInput(boxes, scores, classes, iou);
    const n = boxes.length;
    const b = new Float64Array(4 * n);
    boxes.forEach((box, i) => b.set(box, 4 * i));
    const s = Float64Array.from(scores);
    const c = Int32Array.from(classes);
    try {
      const kept = n >= ASYNC_MIN_BOXES ? await this.addon.nmsAsync(b, s, c, iou) : this.addon.nms(b, s, c, iou);
      return Array.from(kept);
    } catch (err) {
      throw fromNative(err);
    }
  }

  protected async greyInto(img: PixelImage, factor: number, out: Uint8Array): Promise<void> {
    const job = { data: img.data, format: PIXEL_FORMAT_CODE[img.format], width: img.width, height: img.height, factor, out };
    try {
      if (img.width * img.height >= ASYNC_MIN_PIXELS) await this.addon.greyDownscaleAsync(job);
      else this.addon.greyDownscale(job);
    } catch (err) {
      throw fromNative(err);
    }
  }

  protected cellsInto(a: GreyImage, b: GreyImage, threshold: number, cellsX: number, cellsY: number, counts: Int32Array): void {
    try {
      this.addon.motionCells(a.data, b.data, a.width, a.height, threshold, cellsX, cellsY, counts);
    } catch (err) {
      throw fromNative(err);
    }
  }
}

/** Kernels over the addon when given one, else the TypeScript references. */
export function createKernels(addon: NativeAddon | null): PixelKernels {
  return addon ? new NativeKernels(addon) : new TsKernels();
}

let processKernels: PixelKernels | null = null;

/**
 * The process-wide kernels for the hot path: the addon when it is built (and
 * not disabled with GLOVES_NATIVE=0), the TypeScript references otherwise.
 * Loaded once, on first use; a present but broken addon throws NATIVE_LOAD_FAILED.
 */
export function defaultKernels(): PixelKernels {
  processKernels ??= createKernels(loadNativeAddon());
  return processKernels;
}

/**
 * Motion gating: the detector runs only on frames that differ from the last
 * frame it ran on, and at least every `recheckSeconds` anyway.
 *
 * Each frame is reduced to a small grey image (kernels' greyDownscale: block
 * means, which also average away sensor noise) and compared with the grey image
 * of the last DETECTED frame, not the previous frame: a cat creeping a pixel
 * per frame still adds up to motion, and slow light changes trigger one
 * detection and are then the new reference. Changed pixels are counted per
 * cell of a grid (kernels' motionCells); one cell with at least `cellFraction`
 * of its pixels changed is motion. Counting per cell, not over the frame, keeps
 * a small animal far from the camera visible: it changes a few cells a lot,
 * which a frame-wide fraction would dilute below any noise-proof threshold.
 *
 * Never declared away because of gating: without motion, detection still runs
 * every `recheckSeconds` (the daemon uses at most half of
 * tracking.awayAfterSeconds), so a sleeping pet's track and presence are
 * refreshed; skipped frames are not frames the tracker sees, so they do not
 * count as misses either. The first frame, and the first after reset() (a
 * camera that came back, possibly at another size), is always detected.
 */
import type { PixelKernels } from '../kernels/kernels.js';
import type { GreyImage } from '../kernels/motion.js';
import type { RgbImage } from '../vision/image.js';
import type { MotionConfig } from './config.js';

export type GateReason = 'disabled' | 'first' | 'motion' | 'recheck' | 'undecided' | 'still';

export interface GateDecision {
  detect: boolean;
  reason: GateReason;
  /** Cells at or above cellFraction (0 when not compared). */
  movingCells: number;
}

export interface GateCounters {
  /** Frames checked. */
  frames: number;
  /** Frames on which detection was skipped. */
  gated: number;
}

/** Pixels per grid cell of a width x height image, with the kernels' cell rule (floor(x * cells / width)). */
export function cellSizes(width: number, height: number, cellsX: number, cellsY: number): Int32Array {
  const cols = new Int32Array(cellsX);
  const rows = new Int32Array(cellsY);
  for (let x = 0; x < width; x++) cols[Math.floor((x * cellsX) / width)]! += 1;
  for (let y = 0; y < height; y++) rows[Math.floor((y * cellsY) / height)]! += 1;
  const sizes = new Int32Array(cellsX * cellsY);
  for (let j = 0; j < cellsY; j++) for (let i = 0; i < cellsX; i++) sizes[j * cellsX + i] = rows[j]! * cols[i]!;
  return sizes;
}

/** Cells whose changed-pixel count reaches `fraction` of their size. */
export function movingCells(counts: ArrayLike<number>, sizes: ArrayLike<number>, fraction: number): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! >= fraction * sizes[i]!) n++;
  return n;
}

/**
 * The decision, given the moving cells and the time since the last detected frame. `undecidedMs`:
 * the shorter recheck while some track is still undecided (Infinity when none is).
 */
export function decide(moving: number, sinceDetectMs: number, recheckMs: number, undecidedMs = Infinity): GateDecision {
  if (moving > 0) return { detect: true, reason: 'motion', movingCells: moving };
  if (sinceDetectMs >= recheckMs) return { detect: true, reason: 'recheck', movingCells: 0 };
  if (sinceDetectMs >= undecidedMs) return { detect: true, reason: 'undecided', movingCells: 0 };
  return { detect: false, reason: 'still', movingCells: 0 };
}

export class MotionGate {
  private readonly config: MotionConfig;
  private readonly kernels: PixelKernels;
  private reference: GreyImage | null = null;
  /** The buffer the next frame is downscaled into (swapped with the reference on detection). */
  private spare: Uint8Array | null = null;
  private sizes: Int32Array | null = null;
  private lastDetectMs = 0;
  readonly counters: GateCounters = { frames: 0, gated: 0 };

  constructor(config: MotionConfig, kernels: PixelKernels) {
    this.config = config;
    this.kernels = kernels;
  }

  /**
   * Whether to run the detector on this frame. `nowMs` is the frame's monotonic time. `undecided`:
   * some track is not named or declared unknown yet; it is then re-detected every
   * `undecidedRecheckSeconds` even when still, so a new animal that sits down is decided in a few
   * seconds instead of a few `recheckSeconds` (each decision needs minVotes detections).
   */
  async check(img: RgbImage, nowMs: number, undecided = false): Promise<GateDecision> {
    this.counters.frames++;
    const c = this.config;
    if (!c.enabled) return { detect: true, reason: 'disabled', movingCells: 0 };
    const ref = this.reference;
    const fits = ref !== null && ref.width === Math.floor(img.width / c.factor) && ref.height === Math.floor(img.height / c.factor);
    const grey = await this.kernels.greyDownscale({ format: 'RGB', ...img }, c.factor, fits ? (this.spare ?? undefined) : undefined);
    let d: GateDecision;
    if (!fits || !ref) {
      this.sizes = cellSizes(grey.width, grey.height, Math.min(c.cellsX, grey.width), Math.min(c.cellsY, grey.height));
      d = { detect: true, reason: 'first', movingCells: 0 };
    } else {
      const cx = Math.min(c.cellsX, grey.width);
      const cy = Math.min(c.cellsY, grey.height);
      const counts = this.kernels.motionCells(ref, grey, c.pixelThreshold, cx, cy);
      const undecidedMs = undecided ? c.undecidedRecheckSeconds * 1000 : Infinity;
      d = decide(movingCells(counts, this.sizes!, c.cellFraction), nowMs - this.lastDetectMs, c.recheckSeconds * 1000, undecidedMs);
    }
    if (d.detect) {
      this.spare = ref && fits ? ref.data : null;
      this.reference = grey;
      this.lastDetectMs = nowMs;
    } else {
      this.spare = grey.data;
      this.counters.gated++;
    }
    return d;
  }

  /** The next frame is detected whatever it shows (a camera that came back). */
  reset(): void {
    this.reference = null;
    this.spare = null;
  }
}

/**
 * file://DIR: the directory's images in name order (natural sort), decoded
 * with sharp (EXIF-rotated, stretched to W x H like the GStreamer path, alpha
 * dropped) and emitted at `slideshowFps` (or as fast as they decode when not
 * realtime). Same contract as the GStreamer sources; no pipeline involved, so
 * none of the addon's defects apply.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Logger } from '../log/logger.js';
import type { SourceEmitter } from './emitter.js';
import { CameraError } from './errors.js';
import type { Frame } from './frame.js';
import { FpsMeter } from './fps.js';
import { LatestSlot } from './latest.js';
import type { FrameSourceStats, SourceState } from './types.js';

export interface SlideshowConfig {
  files: string[];
  width: number;
  height: number;
  fps: number;
  loop: boolean;
  realtime: boolean;
}

export async function decodeToRgb(path: string, width: number, height: number): Promise<Uint8Array> {
  const { data, info } = await sharp(path, { failOn: 'error' })
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new CameraError('SOURCE_FAILED', `decoded ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`, {
      path,
    });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

export class SlideshowSource {
  private state: SourceState = 'idle';
  private readonly slot = new LatestSlot<Frame>();
  private readonly meter = new FpsMeter();
  private index = 0;
  private pos = 0;
  private loops = 0;
  private gen = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Fatal only: the error that ended the source. */
  private error: CameraError | null = null;
  /** The latest skipped image's error (names the cause when no image at all decodes). */
  private lastSkip: CameraError | null = null;
  private skipped = 0;

  constructor(
    private readonly cfg: SlideshowConfig,
    private readonly emitter: SourceEmitter,
    private readonly log: Logger,
  ) {}

  get lastError(): CameraError | null {
    return this.error;
  }

  private starting: Promise<void> | null = null;

  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    this.starting ??= this.begin().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async begin(): Promise<void> {
    const gen = ++this.gen;
    this.state = 'starting';
    this.error = this.lastSkip = null;
    this.index = this.pos = this.loops = this.skipped = 0;
    this.slot.reopen();
    this.slot.dropped = this.slot.delivered = 0;
    this.meter.reset();
    const ok = await this.emitNext(gen);
    if (gen !== this.gen) throw new CameraError('SOURCE_STOPPED', 'stopped before the first frame');
    if (!ok) {
      this.state = 'ended';
      this.slot.close(true);
      const err = this.lastSkip ?? new CameraError('SOURCE_UNSUPPORTED', 'no decodable image in the directory');
      this.error = err;
      throw err;
    }
    this.state = 'running';
    this.schedule(gen);
  }

  next(): Promise<Frame | null> {
    return this.slot.take();
  }

  stats(): FrameSourceStats {
    return {
      state: this.state,
      frames: this.index,
      delivered: this.slot.delivered,
      dropped: this.slot.dropped,
      fps: this.meter.fps(),
      loops: this.loops,
      reconnects: 0,
      skipped: this.skipped,
      width: this.cfg.width,
      height: this.cfg.height,
    };
  }

  async stop(): Promise<void> {
    this.gen++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state = 'stopped';
    this.slot.close(true);
  }

  private schedule(gen: number): void {
    const delay = this.cfg.realtime ? 1000 / this.cfg.fps : 0;
    const tick = async (): Promise<void> => {
      this.timer = null;
      if (gen !== this.gen) return;
      if (this.pos >= this.cfg.files.length) {
        if (!this.cfg.loop) {
          this.state = 'ended';
          this.slot.close();
          this.emitter.emit('eos', { looping: false });
          return;
        }
        this.pos = 0;
        this.loops++;
        this.emitter.emit('eos', { looping: true });
      }
      await this.emitNext(gen);
      if (gen === this.gen) this.schedule(gen);
    };
    // The interval includes the next image's decode (a few ms): slideshows are for tests and demos.
    this.timer = setTimeout(() => void tick(), delay);
  }

  /** Decode images from `pos` until one succeeds; unreadable ones are reported and skipped. */
  private async emitNext(gen: number): Promise<boolean> {
    while (this.pos < this.cfg.files.length) {
      const path = this.cfg.files[this.pos++]!;
      try {
        const data = await decodeToRgb(path, this.cfg.width, this.cfg.height);
        if (gen !== this.gen) return false;
        const now = performance.now();
        this.meter.tick(now);
        this.slot.put({ image: { width: this.cfg.width, height: this.cfg.height, data }, index: this.index++, timestampMs: now });
        return true;
      } catch (err) {
        const e =
          err instanceof CameraError
            ? err
            : new CameraError('SOURCE_FAILED', `cannot decode image ${path}: ${(err as Error).message}`, { path });
        // Non-fatal: counted and reported, but the source goes on and may still end cleanly.
        this.lastSkip = e;
        this.skipped++;
        this.log.warn('skipping unreadable image', { path, skipped: this.skipped });
        this.emitter.emit('error', { error: e, fatal: false });
      }
    }
    return false;
  }
}

/**
 * One long-lived gstreamer-superficial pipeline with re-targetable callbacks.
 *
 * The addon binds a bus callback and a pull callback per call, and both can
 * outlive the run that issued them (a pull pending across pause/NULL, a bus
 * poller that only ends when it sees NULL state). The handle routes both to
 * whoever owns the pipeline now, and tracks its bus pollers so that it never
 * stacks a second one nor leaves one blocked (which would hang process exit).
 */
import { CameraError } from './errors.js';
import type { GstAppSink, GstBusMessage, GstModule, GstPipeline } from './gst.js';
import { SEEK_FLUSH, SEEK_KEY_UNIT } from './gst.js';

export type PipelineMode = 'null' | 'playing' | 'paused';

export class PipelineHandle {
  private epoch = 0;
  private pendingPull = false;
  private sampleCb: ((buf: Buffer | null) => void) | null = null;
  private busCb: ((msg: GstBusMessage) => void) | null = null;
  private pollers = 0;
  private modeNow: PipelineMode = 'null';

  constructor(
    readonly launch: string,
    private readonly pipeline: GstPipeline,
    private readonly sink: GstAppSink,
  ) {}

  /** Parses the launch string. Throws PIPELINE_INVALID (unknown element, bad syntax, unlinkable caps). */
  static create(gst: GstModule, launch: string): PipelineHandle {
    let pipeline: GstPipeline;
    try {
      pipeline = new gst.Pipeline(launch);
    } catch (err) {
      throw new CameraError('PIPELINE_INVALID', `GStreamer rejected the pipeline: ${(err as Error).message}`, { launch }, { cause: err });
    }
    // With auto-flush the READY->NULL message can be flushed before the bus
    // poller sees it; the poller then blocks forever and the process never exits.
    pipeline['auto-flush-bus'] = false;
    const sink = pipeline.findChild('sink') as GstAppSink | undefined;
    if (!sink || typeof sink.pull !== 'function') {
      pipeline.stop();
      throw new CameraError('PIPELINE_INVALID', 'pipeline has no appsink named sink', { launch });
    }
    return new PipelineHandle(launch, pipeline, sink);
  }

  get mode(): PipelineMode {
    return this.modeNow;
  }

  /** Route bus messages and samples to a new owner (null: discard). */
  attach(onBus: ((msg: GstBusMessage) => void) | null): void {
    this.epoch++;
    this.sampleCb = null;
    this.busCb = onBus;
  }

  play(): void {
    if (this.pollers === 0) this.startPoller();
    this.modeNow = 'playing';
    this.pipeline.play();
  }

  pause(): void {
    this.modeNow = 'paused';
    this.pipeline.pause();
  }

  /** Flushing seek to the start; works in PAUSED and PLAYING, also after EOS. */
  rewind(): boolean {
    return this.pipeline.seek(0, SEEK_FLUSH | SEEK_KEY_UNIT);
  }

  /** NULL state: frees threads, unblocks pulls, ends bus pollers. Callbacks are detached. */
  stop(): void {
    this.attach(null);
    this.modeNow = 'null';
    this.pipeline.stop();
  }

  /**
   * Ask for the next sample. A pull still pending from an earlier owner is
   * reused; if it completes with a stale null (flush of an earlier run) it is
   * re-issued instead of reported.
   */
  pull(cb: (buf: Buffer | null) => void): void {
    this.sampleCb = cb;
    if (!this.pendingPull) this.issuePull();
  }

  private issuePull(): void {
    const epoch = this.epoch;
    this.pendingPull = true;
    this.sink.pull((buf) => {
      this.pendingPull = false;
      const cb = this.sampleCb;
      if (buf === null && epoch !== this.epoch) {
        if (cb && this.modeNow !== 'null') this.issuePull();
        return;
      }
      this.sampleCb = null;
      cb?.(buf);
    });
  }

  private startPoller(): void {
    this.pollers++;
    let alive = true;
    this.pipeline.pollBus((msg) => {
      this.busCb?.(msg);
      // The addon re-polls only while the pipeline is not NULL, checked right after this returns.
      if (alive && this.modeNow === 'null') {
        alive = false;
        this.pollers--;
      }
    });
  }
}

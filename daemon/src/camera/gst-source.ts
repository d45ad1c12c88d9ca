/**
 * A frame source over one gstreamer-superficial pipeline, with the guards the
 * addon needs (see /docs: environment notes):
 * - exit hangs: every run ends in NULL on error, timeout and stop(), except
 *   files that ended cleanly, which are parked PAUSED in the pool and put in
 *   NULL after keepWarmMs or drainCameraPipelines(). `auto-flush-bus` is off
 *   (./handle.ts) so that the READY->NULL message reaches the bus poller and
 *   lets its pool thread finish.
 * - lost NULL->READY errors: a pull that returns null without a bus EOS is a
 *   failure (SOURCE_FAILED), decided after a short grace for late bus messages.
 * - errors with a pending pull (e.g. a non-video file) never unblock the pull:
 *   a bus error ends the run at once.
 * - leaks: pipelines are reused through ./pool.ts. Loops seek to 0; sources
 *   without dynamic pads (test, v4l2, csi) state-cycle through NULL; files are
 *   parked paused for a while. rtsp reconnects and failed runs build a new one.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { backoffDelay } from './backoff.js';
import type { SourceEmitter } from './emitter.js';
import { CameraError } from './errors.js';
import { packRgb, type Frame } from './frame.js';
import { FpsMeter } from './fps.js';
import { loadGst, type GstBusMessage, type GstModule } from './gst.js';
import { PipelineHandle } from './handle.js';
import { StartGate } from './start-gate.js';
import { LatestSlot } from './latest.js';
import type { PipelinePool } from './pool.js';
import type { SourceKind } from './uri.js';
import type { FrameSourceStats, SourceState } from './types.js';

export interface GstSourceConfig {
  kind: SourceKind;
  launch: string;
  width: number;
  height: number;
  loop: boolean;
  live: boolean;
  reconnect: { initialMs: number; maxMs: number };
  startTimeoutMs: number;
  stallTimeoutMs: number;
  /**
   * Pull a frame only once the previous one was taken (a file decoded as fast as it is
   * consumed, realtime off): the decoder then decodes what the consumer takes and no more.
   * Otherwise frames are pulled as they come and the newest wins (a camera, or a file played
   * at its own rate).
   */
  pullOnDemand?: boolean;
  /** How long a null pull waits for a late bus EOS/error before calling it a failure. */
  endGraceMs?: number;
}

interface Run {
  gen: number;
  handle: PipelineHandle;
  busEos: boolean;
  busError: string | null;
  /** Resolves a null pull's grace wait early when the bus speaks. */
  onBus: (() => void) | null;
}

export class GstFrameSource {
  private run: Run | null = null;
  private gen = 0;
  private state: SourceState = 'idle';
  private readonly slot = new LatestSlot<Frame>();
  private readonly meter = new FpsMeter();
  private index = 0;
  private loops = 0;
  private reconnects = 0;
  private attempt = 0;
  private error: CameraError | null = null;
  private readonly starting = new StartGate();
  private retryTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;
  /** pullOnDemand: the run whose next pull waits for the pending frame to be taken. */
  private idleRun: Run | null = null;

  constructor(
    private readonly cfg: GstSourceConfig,
    private readonly emitter: SourceEmitter,
    private readonly log: Logger,
    private readonly pool: PipelinePool,
    private readonly gst: () => GstModule = loadGst,
  ) {}

  get lastError(): CameraError | null {
    return this.error;
  }

  start(): Promise<void> {
    if (this.starting.promise) return this.starting.promise;
    if (this.state === 'running' || this.state === 'reconnecting') return Promise.resolve();
    this.state = 'starting';
    this.error = null;
    this.index = 0;
    this.loops = 0;
    this.reconnects = 0;
    this.attempt = 0;
    this.slot.reopen();
    this.slot.dropped = 0;
    this.slot.delivered = 0;
    this.meter.reset();
    const promise = this.starting.begin(this.cfg.startTimeoutMs, () => {
      this.fail(new CameraError('SOURCE_TIMEOUT', `no frame within ${this.cfg.startTimeoutMs} ms`, { timeoutMs: this.cfg.startTimeoutMs }));
    });
    try {
      this.open();
    } catch (err) {
      this.fail(asCameraError(err));
    }
    return promise;
  }

  next(): Promise<Frame | null> {
    const frame = this.slot.take();
    const run = this.idleRun;
    this.idleRun = null;
    if (run && run.gen === this.gen) this.pull(run);
    return frame;
  }

  stats(): FrameSourceStats {
    return {
      state: this.state,
      frames: this.index,
      delivered: this.slot.delivered,
      dropped: this.slot.dropped,
      fps: this.meter.fps(),
      loops: this.loops,
      reconnects: this.reconnects,
      skipped: 0,
      width: this.cfg.width,
      height: this.cfg.height,
    };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'idle') {
      this.state = 'stopped';
      this.slot.close(true);
      return;
    }
    this.state = 'stopped';
    this.clearTimers();
    this.teardown(true);
    this.slot.close(true);
    this.starting.reject(new CameraError('SOURCE_STOPPED', 'stopped before the first frame'));
  }

  /** Starts a pipeline run on a parked pipeline when there is one, else on a new one. */
  private open(): void {
    const gen = ++this.gen;
    const parked = this.pool.take(this.cfg.launch);
    const handle = parked ?? PipelineHandle.create(this.gst(), this.cfg.launch);
    const run: Run = { gen, handle, busEos: false, busError: null, onBus: null };
    this.run = run;
    handle.attach((msg) => this.onBus(run, msg));
    if (parked?.mode === 'paused') handle.rewind();
    handle.play();
    if (this.cfg.live) this.armStallTimer();
    this.pull(run);
  }

  private pull(run: Run): void {
    run.handle.pull((buf) => this.onSample(run, buf));
  }

  private onSample(run: Run, buf: Buffer | null): void {
    if (run.gen !== this.gen) return;
    if (buf) {
      this.onFrame(buf);
      if (run.gen !== this.gen) return;
      // Unpaced, a decoder pulled flat out spent a core on frames the newest-wins slot then dropped.
      if (this.cfg.pullOnDemand && this.slot.hasPending) this.idleRun = run;
      else this.pull(run);
      return;
    }
    void this.onNull(run);
  }

  private onFrame(buf: Buffer): void {
    let data: Uint8Array;
    try {
      data = packRgb(buf, this.cfg.width, this.cfg.height);
    } catch (err) {
      this.log.warn('dropping malformed frame', { err });
      return;
    }
    const now = performance.now();
    this.lastFrameAt = now;
    this.meter.tick(now);
    this.slot.put({ image: { width: this.cfg.width, height: this.cfg.height, data }, index: this.index++, timestampMs: now });
    if (this.state === 'starting' || this.state === 'reconnecting') {
      const wasReconnect = this.state === 'reconnecting';
      this.state = 'running';
      if (wasReconnect) {
        this.reconnects++;
        this.emitter.emit('reconnected', { attempts: this.attempt });
        this.log.info('camera reconnected', { attempts: this.attempt });
      }
      this.attempt = 0;
      this.starting.resolve();
    }
  }

  private onBus(run: Run, msg: GstBusMessage): void {
    if (run.gen !== this.gen) return;
    if (msg.type === 'eos') {
      run.busEos = true;
      run.onBus?.();
    } else if (msg.type === 'error') {
      run.busError = `${msg.message ?? 'unknown error'}${msg.name ? ` (${msg.name})` : ''}`;
      // The pending pull may never return after an error: end the run now.
      if (run.onBus) run.onBus();
      else this.runFailed(run, this.busFailure(run.busError));
    } else if (msg.type === 'warning') {
      this.log.debug('gstreamer warning', { message: msg.message ?? null, element: msg.name ?? null });
    }
  }

  /** A file that fails before its first frame is not a playable video (typefind/demux errors). */
  private busFailure(message: string): CameraError {
    if (this.cfg.kind === 'file' && this.state === 'starting') {
      return new CameraError('SOURCE_UNSUPPORTED', `not a playable video: ${message}`);
    }
    return new CameraError('SOURCE_FAILED', message);
  }

  /** A pull returned null: EOS, a bus error, or a failure GStreamer did not report. */
  private async onNull(run: Run): Promise<void> {
    if (!run.busEos && !run.busError) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.cfg.endGraceMs ?? 1000);
        run.onBus = () => {
          clearTimeout(t);
          resolve();
        };
      });
      run.onBus = null;
    }
    if (run.gen !== this.gen) return;
    if (run.busError) return this.runFailed(run, this.busFailure(run.busError));
    if (run.busEos) return this.onEos(run);
    this.runFailed(run, new CameraError('SOURCE_FAILED', 'pipeline stopped without end-of-stream (device missing, busy or unsupported?)'));
  }

  private onEos(run: Run): void {
    if (this.state === 'starting') {
      return this.fail(new CameraError('SOURCE_UNSUPPORTED', 'stream ended before its first frame (no video in it?)'));
    }
    if (this.cfg.live) return this.runFailed(run, new CameraError('SOURCE_FAILED', 'live stream ended'));
    if (this.cfg.loop && run.handle.rewind()) {
      this.loops++;
      run.busEos = false;
      this.emitter.emit('eos', { looping: true });
      this.pull(run);
      return;
    }
    this.state = 'ended';
    this.clearTimers();
    this.teardown(true);
    this.slot.close();
    this.emitter.emit('eos', { looping: false });
  }

  private runFailed(run: Run, err: CameraError): void {
    if (run.gen !== this.gen) return;
    if (this.state === 'starting') return this.fail(err);
    if (this.cfg.live && this.state !== 'stopped') return this.scheduleReconnect(err);
    this.error = err;
    this.state = 'ended';
    this.clearTimers();
    this.teardown(false);
    this.slot.close();
    this.emitter.emit('error', { error: err, fatal: true });
  }

  /** start() failed: reject it and leave the source stopped. */
  private fail(err: CameraError): void {
    if (!this.starting.open) return;
    this.error = err;
    this.state = 'ended';
    this.clearTimers();
    this.teardown(false);
    this.slot.close(true);
    this.starting.reject(err);
  }

  private scheduleReconnect(err: CameraError): void {
    this.teardown(false);
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, this.cfg.reconnect);
    this.state = 'reconnecting';
    this.error = err;
    this.log.warn('camera failed; reconnecting', { attempt: this.attempt, delayMs, err });
    this.emitter.emit('error', { error: err, fatal: false });
    this.emitter.emit('reconnecting', { attempt: this.attempt, delayMs, error: err });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state !== 'reconnecting') return;
      try {
        this.open();
      } catch (e) {
        this.scheduleReconnect(asCameraError(e));
      }
    }, delayMs);
  }

  private armStallTimer(): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    const started = performance.now();
    const gen = this.gen;
    this.stallTimer = setInterval(
      () => {
        if (gen !== this.gen || !this.run) return;
        const since = performance.now() - Math.max(this.lastFrameAt, started);
        if (this.state === 'running' && since > this.cfg.stallTimeoutMs) {
          this.runFailed(
            this.run,
            new CameraError('SOURCE_FAILED', `no frame for ${Math.round(since)} ms`, { stallMs: Math.round(since) }),
          );
        }
      },
      Math.min(1000, this.cfg.stallTimeoutMs),
    );
    this.stallTimer.unref();
  }

  /**
   * Ends the current run. `clean`: the pipeline ended without error and is
   * parked for reuse (files paused, dynamic-pad-free sources in NULL);
   * otherwise it is stopped and dropped (rtsp always: its pads are dynamic and
   * it is not rewindable).
   */
  private teardown(clean: boolean): void {
    const run = this.run;
    this.run = null;
    this.gen++;
    this.idleRun = null;
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = null;
    if (!run) return;
    const k = this.cfg.kind;
    if (k === 'test' || k === 'v4l2' || k === 'csi') this.pool.park(run.handle, 'null');
    else if (clean && k === 'file') this.pool.park(run.handle, 'paused');
    else run.handle.stop();
  }

  private clearTimers(): void {
    this.starting.clearTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.retryTimer = this.stallTimer = null;
  }
}

function asCameraError(err: unknown): CameraError {
  if (err instanceof CameraError) return err;
  return new CameraError('SOURCE_FAILED', (err as Error)?.message ?? String(err), {}, { cause: err });
}

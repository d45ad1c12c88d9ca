/**
 * A live camera (rtsp, v4l2, csi) read from a `gst-launch-1.0` child process
 * that writes raw RGB frames to its stdout.
 *
 * Why a child and not the in-process binding: when a network camera dies,
 * rtspsrc holds its state lock inside a blocking call, and the binding's
 * synchronous set_state(NULL) on the main thread then waits on that lock for
 * minutes: the whole event loop froze, SIGTERM included (see the camera
 * README). A child can always be killed at once, frees every GStreamer
 * resource with it (no per-pipeline leak on reconnect), and its death is
 * itself the loss signal.
 *
 * Policy: a lost stream (the child exits, or no frame for `stallTimeoutMs`)
 * is reported once per attempt through the emitter ('error' non-fatal, then
 * 'reconnecting') and retried with capped exponential backoff for ever; the
 * first frame after that emits 'reconnected'. A failure before the first
 * frame of start() rejects start(), as for every other source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { backoffDelay } from './backoff.js';
import type { SourceEmitter } from './emitter.js';
import { CameraError } from './errors.js';
import { FpsMeter } from './fps.js';
import { packRgb, type Frame } from './frame.js';
import { LatestSlot } from './latest.js';
import { StartGate } from './start-gate.js';
import type { FrameSourceStats, SourceState } from './types.js';
import type { SourceKind } from './uri.js';

export interface ProcessSourceConfig {
  kind: SourceKind;
  /** A launch string ending in `fdsink fd=1` (buildPipeline with sink 'fdsink'). */
  launch: string;
  width: number;
  height: number;
  reconnect: { initialMs: number; maxMs: number };
  startTimeoutMs: number;
  stallTimeoutMs: number;
  /** The gst-launch binary (test seam). */
  command?: string;
}

/** Bytes of one frame on the pipe: GStreamer pads RGB rows to 4 bytes. */
export function frameBytes(width: number, height: number): number {
  return Math.ceil((width * 3) / 4) * 4 * height;
}

/**
 * Splits a launch string into gst-launch arguments: on whitespace outside
 * double quotes. gst-launch re-joins its arguments and escapes the spaces
 * inside each, so a quoted location with spaces survives as one token.
 */
export function launchArgv(launch: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < launch.length; i++) {
    const ch = launch[i]!;
    if (quoted && ch === '\\' && i + 1 < launch.length) {
      cur += ch + launch[++i]!;
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (!quoted && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new CameraError('PIPELINE_INVALID', 'unbalanced quote in the launch string', { launch });
  if (cur) out.push(cur);
  return out;
}

/** The most useful line of gst-launch's stderr: its ERROR line, else the last line. */
export function childFailure(stderr: string, code: number | null, signal: string | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const err = lines.find((l) => l.startsWith('ERROR:'));
  const detail = err ?? lines.at(-1);
  const how = signal ? `killed by ${signal}` : code === 0 ? 'stream ended' : `exited with code ${code}`;
  return detail ? `${how}: ${detail}` : how;
}

interface Run {
  gen: number;
  child: ChildProcess;
  startedAt: number;
  /** The frame being filled from the pipe. */
  buf: Buffer;
  filled: number;
  stderr: string;
}

const STDERR_KEEP = 4096;

export class ProcessFrameSource {
  private run: Run | null = null;
  private gen = 0;
  private state: SourceState = 'idle';
  private readonly slot = new LatestSlot<Frame>();
  private readonly meter = new FpsMeter();
  private readonly size: number;
  private index = 0;
  private reconnects = 0;
  private attempt = 0;
  private error: CameraError | null = null;
  private readonly starting = new StartGate();
  private retryTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;

  constructor(
    private readonly cfg: ProcessSourceConfig,
    private readonly emitter: SourceEmitter,
    private readonly log: Logger,
  ) {
    this.size = frameBytes(cfg.width, cfg.height);
  }

  get lastError(): CameraError | null {
    return this.error;
  }

  /** Children alive now (0 or 1): what "pipelines" means for this source. */
  get children(): number {
    return this.run ? 1 : 0;
  }

  start(): Promise<void> {
    if (this.starting.promise) return this.starting.promise;
    if (this.state === 'running' || this.state === 'reconnecting') return Promise.resolve();
    this.state = 'starting';
    this.error = null;
    this.index = this.reconnects = this.attempt = 0;
    this.slot.reopen();
    this.slot.dropped = this.slot.delivered = 0;
    this.meter.reset();
    const promise = this.starting.begin(this.cfg.startTimeoutMs, () => {
      this.fail(new CameraError('SOURCE_TIMEOUT', `no frame within ${this.cfg.startTimeoutMs} ms`, { timeoutMs: this.cfg.startTimeoutMs }));
    });
    this.open();
    return promise;
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
      loops: 0,
      reconnects: this.reconnects,
      skipped: 0,
      width: this.cfg.width,
      height: this.cfg.height,
    };
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.clearTimers();
    this.kill();
    this.slot.close(true);
    this.starting.reject(new CameraError('SOURCE_STOPPED', 'stopped before the first frame'));
  }

  private open(): void {
    const gen = ++this.gen;
    const command = this.cfg.command ?? 'gst-launch-1.0';
    let argv: string[];
    try {
      argv = ['-q', ...launchArgv(this.cfg.launch)];
    } catch (err) {
      return this.failed(err as CameraError);
    }
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { gen, child, startedAt: performance.now(), buf: Buffer.allocUnsafe(this.size), filled: 0, stderr: '' };
    this.run = run;
    child.stdout!.on('data', (chunk: Buffer) => this.onData(run, chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      run.stderr = (run.stderr + chunk.toString()).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (run.gen !== this.gen) return;
      const missing = err.code === 'ENOENT';
      const e = new CameraError(
        missing ? 'PIPELINE_INVALID' : 'SOURCE_FAILED',
        missing ? `${command} not found: install gstreamer1.0-tools` : `cannot run ${command}: ${err.message}`,
        { command },
      );
      // A missing binary will not appear by retrying: fatal even for a live source.
      if (missing) this.fatal(e);
      else this.failed(e);
    });
    child.on('exit', (code, signal) => {
      if (run.gen !== this.gen) return;
      this.run = null;
      const msg = childFailure(run.stderr, code, signal);
      this.log.debug('camera process exited', { code, signal, stderr: run.stderr.slice(-500) });
      this.failed(
        new CameraError('SOURCE_FAILED', code === 0 && !signal ? 'live stream ended' : `camera pipeline ${msg}`, { code, signal }),
      );
    });
    this.armStallTimer(run);
  }

  private onData(run: Run, chunk: Buffer): void {
    if (run.gen !== this.gen) return;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.size - run.filled);
      chunk.copy(run.buf, run.filled, off, off + n);
      run.filled += n;
      off += n;
      if (run.filled === this.size) {
        const full = run.buf;
        run.buf = Buffer.allocUnsafe(this.size);
        run.filled = 0;
        this.onFrame(full);
        if (run.gen !== this.gen) return;
      }
    }
  }

  private onFrame(buf: Buffer): void {
    const data = packRgb(buf, this.cfg.width, this.cfg.height);
    const now = performance.now();
    this.lastFrameAt = now;
    this.meter.tick(now);
    this.slot.put({ image: { width: this.cfg.width, height: this.cfg.height, data }, index: this.index++, timestampMs: now });
    if (this.state !== 'starting' && this.state !== 'reconnecting') return;
    const wasReconnect = this.state === 'reconnecting';
    this.state = 'running';
    if (wasReconnect) {
      this.reconnects++;
      this.emitter.emit('reconnected', { attempts: this.attempt });
    }
    this.attempt = 0;
    this.starting.resolve();
  }

  /** The current child failed: reject start(), or reconnect. */
  private failed(err: CameraError): void {
    if (this.state === 'stopped' || this.state === 'ended') return;
    if (this.state === 'starting') return this.fail(err);
    this.kill();
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, this.cfg.reconnect);
    this.state = 'reconnecting';
    this.error = err;
    this.emitter.emit('error', { error: err, fatal: false });
    this.emitter.emit('reconnecting', { attempt: this.attempt, delayMs, error: err });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state === 'reconnecting') this.open();
    }, delayMs);
  }

  /** start() failed: reject it and leave the source ended. */
  private fail(err: CameraError): void {
    if (!this.starting.open) return;
    this.error = err;
    this.state = 'ended';
    this.clearTimers();
    this.kill();
    this.slot.close(true);
    this.starting.reject(err);
  }

  private fatal(err: CameraError): void {
    if (this.starting.open) return this.fail(err);
    this.error = err;
    this.state = 'ended';
    this.clearTimers();
    this.kill();
    this.slot.close();
    this.emitter.emit('error', { error: err, fatal: true });
  }

  /**
   * While running: no frame for stallTimeoutMs is a loss. While reconnecting:
   * a child that connects but delivers nothing for as long is retried too.
   */
  private armStallTimer(run: Run): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = setInterval(
      () => {
        if (run.gen !== this.gen || this.state === 'starting') return;
        const since = performance.now() - Math.max(this.lastFrameAt, run.startedAt);
        if (since > this.cfg.stallTimeoutMs) {
          this.failed(new CameraError('SOURCE_FAILED', `no frame for ${Math.round(since)} ms`, { stallMs: Math.round(since) }));
        }
      },
      Math.min(1000, this.cfg.stallTimeoutMs),
    );
    this.stallTimer.unref();
  }

  /** SIGKILL: the child holds nothing worth a clean shutdown, and a wedged rtspsrc ignores SIGTERM. */
  private kill(): void {
    const run = this.run;
    this.run = null;
    this.gen++;
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = null;
    if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  }

  private clearTimers(): void {
    this.starting.clearTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.retryTimer = this.stallTimer = null;
  }
}

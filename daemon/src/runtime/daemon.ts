/**
 * The daemon of `gloves run`: its parts are all built up front by
 * ./wiring.ts (constructors do no I/O); start() runs their components in
 * order (camera, recognition, tracking, presence + outbox, MQTT) and stop()
 * in reverse (./components.ts). Once all are up the frame loop runs and
 * READY=1 is sent; the loop pings the systemd watchdog after each frame, so a
 * stalled pipeline stops the pings; the periodic tick also pings while the
 * camera is legitimately without frames (reconnecting, or a finished file
 * source), see ./watchdog.ts. `done` settles when the daemon must exit: a
 * fatal camera error, persistent inference failures, or the end of a file
 * source with `exitAtEnd`. A stop() during start() waits for the component
 * being started and stops what was started. The daemon owns the policies
 * between parts: camera loss (log once, summarise, blind presence) and the
 * periodic summary line.
 */
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Frame } from '../camera/index.js';
import type { PresenceUpdate } from '../presence/presence.js';
import { SystemdNotifier } from '../systemd/notify.js';
import type { CameraHealthView } from './camera-health.js';
import { Lifecycle } from './components.js';
import type { FrameResult } from './frame-processor.js';
import { trackOverlays } from './live.js';
import { tickMayPingWatchdog, type LoopPhase } from './watchdog.js';
import { wireDaemon, type DaemonParts } from './wiring.js';

export interface DaemonOptions {
  env: NodeJS.ProcessEnv;
  /** Stop (exit code 0) when a non-looping file source ends, instead of idling. */
  exitAtEnd?: boolean;
  /** Observes every processed frame (benchmarks, diagnostics). */
  onFrame?: (frame: Frame, result: FrameResult, totalMs: number) => void;
  /** Camera options not in the config file (benchmarks: realtime false). */
  cameraOverrides?: { realtime?: boolean };
  notifier?: SystemdNotifier;
}

export interface DaemonExit {
  code: number;
  reason: string;
  error?: GlovesError;
}

/** Consecutive failed frames after which inference counts as broken. */
const MAX_FRAME_FAILURES = 20;

export class Daemon {
  private readonly config: GlovesConfig;
  private readonly log: Logger;
  private readonly opts: DaemonOptions;
  private readonly notifier: SystemdNotifier;
  private readonly parts: DaemonParts;
  private readonly lifecycle: Lifecycle;
  private loop: Promise<void> | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private stopRequested = false;
  private stopping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private phase: LoopPhase = 'starting';
  private settle!: (exit: DaemonExit) => void;
  /** Settles once with the reason the daemon should exit. */
  readonly done: Promise<DaemonExit>;
  readonly counters = { frames: 0, failedFrames: 0, events: 0 };
  private lastSummaryMs = performance.now();
  private framesAtSummary = 0;
  private gateAtSummary = { frames: 0, gated: 0 };

  constructor(config: GlovesConfig, log: Logger, opts: DaemonOptions) {
    this.config = config;
    this.log = log;
    this.opts = opts;
    this.notifier = opts.notifier ?? new SystemdNotifier(opts.env, log.child('systemd'));
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.parts = wireDaemon(config, log, {
      cameraOverrides: opts.cameraOverrides,
      notifier: this.notifier,
      onCameraLost: (attempt, delayMs, error) => this.onCameraLost(attempt, delayMs, error),
      onCameraBack: (attempts) => this.onCameraBack(attempts),
    });
    this.lifecycle = new Lifecycle(this.parts.components, log);
  }

  /** What the daemon knows about itself now: camera availability, counters, memory. */
  health(): { camera: CameraHealthView; frames: number; failedFrames: number; events: number; memory: NodeJS.MemoryUsage } {
    return { camera: this.parts.camera.view(performance.now()), ...this.counters, memory: process.memoryUsage() };
  }

  async start(): Promise<void> {
    // A signal before start(): nothing may start any more.
    if (this.stopRequested) return;
    const complete = await this.lifecycle.start();
    // A signal arrived while starting: stop() waited for the lifecycle and stops what started.
    if (!complete || this.stopRequested) return;
    this.loop = this.frameLoop().catch((err: unknown) => this.fail('frame loop crashed', err));
    this.ticker = setInterval(() => this.tick(), 500);
    const c = this.config;
    this.notifier.ready(`watching ${c.camera.name}`);
    this.log.info('ready', { camera: c.camera.uri, device: c.device.id, pets: this.parts.presence.pets().length });
  }

  /** Ends the loop, then stops the components in reverse order. Idempotent; safe during start(). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopRequested = true;
    this.phase = 'stopped';
    this.notifier.stopping();
    this.wake?.();
    if (this.ticker) clearInterval(this.ticker);
    await this.loop;
    const failed = await this.lifecycle.stop();
    await this.notifier.close();
    // Events neither stored nor delivered (full disk and broker away) make the stop a failure.
    const lost = this.parts.queue.lost;
    const error =
      lost.length > 0
        ? new GlovesError('EVENTS_LOST', `${lost.length} event(s) lost on stop: the disk refused them and the broker was away`, {
            lost: [...lost],
          })
        : undefined;
    this.settle({ code: failed.length > 0 || error ? 1 : 0, reason: 'stopped', error });
    this.log.info('stopped', failed.length > 0 ? { failedToStop: failed } : {});
  }

  private async frameLoop(): Promise<void> {
    const { source: src, processor, presence, outputs, visitors } = this.parts;
    let failures = 0;
    while (!this.stopRequested) {
      this.phase = 'waiting';
      // A fresh stop promise per wait: racing every frame against one long-lived
      // promise attaches a reaction to it per frame, and each reaction keeps its
      // settled race result (the whole frame) alive until stop: ~0.7 MB a frame.
      const stopSignal = new Promise<null>((resolve) => (this.wake = () => resolve(null)));
      const frame = await Promise.race([src.next(), stopSignal]);
      this.wake = null;
      if (!frame) break;
      this.phase = 'processing';
      const t0 = performance.now();
      try {
        const result = await processor.process(frame.image, frame.timestampMs);
        failures = 0;
        this.counters.frames++;
        this.parts.metrics.frame(result.detections, result.timing);
        const ts = wallTime(frame.timestampMs);
        visitors.annotate(result.unknowns, result.unnamed, frame.timestampMs, ts);
        this.apply(presence.observe(frame.timestampMs, ts, result.sightings, result.unknowns), frame.timestampMs);
        outputs.snapshots(frame.image, result.sightings, frame.timestampMs);
        this.parts.live.frame(frame.image, trackOverlays(result));
        visitors.crops(frame.image, result.unknowns, frame.timestampMs);
        this.opts.onFrame?.(frame, result, performance.now() - t0);
      } catch (err) {
        failures++;
        this.counters.failedFrames++;
        this.parts.metrics.failed((err as Error).message);
        this.log.error('frame processing failed', { frame: frame.index, error: err as Error, consecutive: failures });
        if (failures >= MAX_FRAME_FAILURES)
          throw new GlovesError('PIPELINE_FAILED', `${failures} consecutive frames failed: ${(err as Error).message}`, {}, { cause: err });
      }
      if (!this.stopRequested) this.notifier.watchdog();
    }
    if (this.stopRequested) return;
    const err = src.lastError;
    if (err) {
      this.phase = 'stopped';
      this.fail('camera failed', err);
    } else {
      const { skipped } = src.stats();
      this.log.info('camera source ended', { frames: this.counters.frames, skipped });
      this.notifier.status('camera source ended');
      this.phase = 'idle';
      if (this.opts.exitAtEnd) this.settle({ code: 0, reason: 'camera source ended' });
    }
  }

  /** A reconnect attempt: the first one of a loss is logged and published; the rest go to the summary. */
  private onCameraLost(attempt: number, delayMs: number, error: GlovesError): void {
    const now = performance.now();
    const first = this.parts.camera.onAttempt(now, new Date().toISOString(), attempt, error.message);
    if (!first) {
      this.log.debug('camera reconnect attempt', { attempt, delayMs, code: error.code });
      return;
    }
    this.log.warn(`camera lost: ${error.message}; reconnecting until it is back`, { code: error.code, retryInMs: delayMs });
    this.notifier.status(`camera lost: ${error.message}`);
    this.parts.presence.blind(now);
    this.parts.bridge.publishCamera(this.config.camera.name, this.parts.camera.state());
  }

  private onCameraBack(attempts: number): void {
    const now = performance.now();
    const outage = this.parts.camera.onBack(now, new Date().toISOString());
    if (outage === null) return;
    this.log.info('camera back', { lostMs: Math.round(outage), attempts });
    this.notifier.status(`watching ${this.config.camera.name}`);
    this.parts.presence.sighted(now);
    this.parts.bridge.publishCamera(this.config.camera.name, this.parts.camera.state());
  }

  /** One line every `log.summarySeconds`: a warning while the camera is lost. */
  private summary(now: number): void {
    if (now - this.lastSummaryMs < this.config.log.summarySeconds * 1000) return;
    const fps = ((this.counters.frames - this.framesAtSummary) * 1000) / (now - this.lastSummaryMs);
    this.lastSummaryMs = now;
    this.framesAtSummary = this.counters.frames;
    const m = process.memoryUsage();
    const mb = (x: number): number => Math.round(x / 1e5) / 10;
    const cam = this.parts.camera.view(now);
    const fields = {
      frames: this.counters.frames,
      fps: Math.round(fps * 10) / 10,
      failedFrames: this.counters.failedFrames,
      events: this.counters.events,
      camera: cam.state,
      rssMB: mb(m.rss),
      heapMB: mb(m.heapUsed),
      externalMB: mb(m.external),
      ...this.gating(),
      outbox: this.parts.queue.pending,
      outboxWritable: this.parts.queue.writable,
    };
    if (cam.state === 'lost')
      this.log.warn(`camera still lost after ${Math.round(cam.lostMs / 1000)} s`, { ...fields, attempts: cam.attempts, error: cam.error });
    else this.log.info('summary', fields);
  }

  /** Motion gating since the last summary: frames on which detection was skipped. */
  private gating(): { gated: number; gatedFraction: number | null } {
    const g = this.parts.gate.counters;
    const frames = g.frames - this.gateAtSummary.frames;
    const gated = g.gated - this.gateAtSummary.gated;
    this.gateAtSummary = { ...g };
    return { gated: g.gated, gatedFraction: frames > 0 ? Math.round((gated / frames) * 1000) / 1000 : null };
  }

  private tick(): void {
    this.summary(performance.now());
    try {
      const now = performance.now();
      this.apply(this.parts.presence.tick(now, new Date().toISOString()), now);
    } catch (err) {
      // Runs from setInterval: an exception here would take the whole daemon down.
      const e = GlovesError.from(err);
      this.log.error(`presence tick failed: ${e.message}`, { code: e.code });
    }
    if (!this.stopRequested && tickMayPingWatchdog(this.phase, this.parts.source.stats().state)) this.notifier.watchdog();
  }

  private apply(up: PresenceUpdate, nowMs: number): void {
    this.counters.events += up.events.length;
    for (const e of up.events) this.parts.metrics.event(e.type);
    this.parts.outputs.apply(up, nowMs);
  }

  private fail(what: string, err: unknown): void {
    const error = GlovesError.from(err);
    this.log.error(`${what}: ${error.message}`, { code: error.code });
    this.settle({ code: 1, reason: what, error });
  }
}

/** Wall-clock time of a monotonic (performance.now) timestamp. */
function wallTime(monoMs: number): string {
  return new Date(Date.now() - (performance.now() - monoMs)).toISOString();
}

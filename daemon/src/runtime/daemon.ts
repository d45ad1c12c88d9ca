/**
 * The daemon of `gloves run`: its parts are all built up front by
 * ./wiring.ts (constructors do no I/O); start() runs their components in
 * order (cameras, recognition, tracking, presence + outbox, MQTT, gallery
 * sync, HTTP) and stop() in reverse (./components.ts). Once all are up, one
 * frame loop per camera runs (./camera-pipeline.ts; every camera shares the
 * models) and READY=1 is sent; the loops ping the systemd watchdog after each
 * frame, so a stalled pipeline stops the pings; the periodic tick also pings
 * while every camera is legitimately without frames (reconnecting, or a
 * finished file source), see ./watchdog.ts. `done` settles when the daemon
 * must exit: every camera finished and one of them failed (a fatal camera
 * error, or persistent inference failures), or every file source ended with
 * `exitAtEnd`. A failing camera degrades only itself while another one runs.
 * A stop() during start() waits for the component being started and stops
 * what was started. The daemon owns the policies between parts: camera loss
 * (log once, summarise, publish), presence blindness (only while every camera
 * is down: away means "not seen while we could see") and the summary line.
 */
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Frame } from '../camera/index.js';
import type { PresenceUpdate } from '../presence/presence.js';
import type { RgbImage } from '../vision/image.js';
import { SystemdNotifier } from '../systemd/notify.js';
import type { CameraHealthView } from './camera-health.js';
import type { CameraPipeline, FrameSink, PipelineEnd } from './camera-pipeline.js';
import { Lifecycle } from './components.js';
import type { FrameResult } from './frame-processor.js';
import { trackOverlays } from './live.js';
import { wireDaemon, type DaemonParts } from './wiring.js';

export interface DaemonOptions {
  env: NodeJS.ProcessEnv;
  /** Stop (exit code 0) when every (non-looping file) source ended, instead of idling. */
  exitAtEnd?: boolean;
  /** Observes every processed frame of every camera (benchmarks, diagnostics). */
  onFrame?: (frame: Frame, result: FrameResult, totalMs: number, camera: string) => void;
  /** Camera options not in the config file (benchmarks: realtime false). */
  cameraOverrides?: { realtime?: boolean };
  notifier?: SystemdNotifier;
}

export interface DaemonExit {
  code: number;
  reason: string;
  error?: GlovesError;
}

export interface DaemonHealthView {
  /** The first camera (the only one of a one-camera device). */
  camera: CameraHealthView;
  cameras: Record<string, CameraHealthView & { frames: number; failedFrames: number }>;
  frames: number;
  failedFrames: number;
  events: number;
  memory: NodeJS.MemoryUsage;
}

export class Daemon {
  private readonly config: GlovesConfig;
  private readonly log: Logger;
  private readonly opts: DaemonOptions;
  private readonly notifier: SystemdNotifier;
  private readonly parts: DaemonParts;
  private readonly lifecycle: Lifecycle;
  private loops: Promise<void>[] = [];
  /** Cameras whose loop finished, and the first failure among them. */
  private readonly finished = new Set<string>();
  private firstFailure: GlovesError | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private stopRequested = false;
  private running = false;
  private stopping: Promise<void> | null = null;
  private settle!: (exit: DaemonExit) => void;
  /** Settles once with the reason the daemon should exit. */
  readonly done: Promise<DaemonExit>;
  readonly counters = { frames: 0, failedFrames: 0, events: 0 };
  private lastSummaryMs = performance.now();
  private framesAtSummary = 0;
  private readonly camFramesAtSummary = new Map<string, number>();
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
      cameraEvents: {
        onLost: (cam, attempt, delayMs, error) => this.onCameraLost(cam, attempt, delayMs, error),
        onBack: (cam, attempts) => this.onCameraBack(cam, attempts),
      },
    });
    this.lifecycle = new Lifecycle(this.parts.components, log);
  }

  /** What the daemon knows about itself now: camera availability, counters, memory. */
  health(): DaemonHealthView {
    const now = performance.now();
    const cams = this.parts.cameras.list;
    const cameras = Object.fromEntries(cams.map((p) => [p.id, { ...p.health.view(now), ...p.counters }]));
    return { camera: cams[0]!.health.view(now), cameras, ...this.counters, memory: process.memoryUsage() };
  }

  async start(): Promise<void> {
    // A signal before start(): nothing may start any more.
    if (this.stopRequested) return;
    const complete = await this.lifecycle.start();
    // A signal arrived while starting: stop() waited for the lifecycle and stops what started.
    if (!complete || this.stopRequested) return;
    this.running = true;
    const sink = this.sink();
    for (const cam of this.parts.cameras.list) {
      // A camera that failed to start (./cameras.ts) runs no loop.
      const failedAtStart = this.parts.cameras.startFailures.get(cam.id);
      if (failedAtStart) {
        this.finished.add(cam.id);
        this.firstFailure ??= failedAtStart;
      } else this.loops.push(cam.run(sink).then((end) => this.onCameraEnd(cam, end)));
    }
    this.ticker = setInterval(() => this.tick(), 500);
    const names = this.parts.cameras.list.map((p) => p.name).join(', ');
    this.notifier.ready(`watching ${names}`);
    const uris = this.parts.cameras.list.map((p) => p.config.uri);
    this.log.info('ready', { camera: uris.join(' '), device: this.config.device.id, pets: this.parts.presence.pets().length });
  }

  /** Ends the loops, then stops the components in reverse order. Idempotent; safe during start(). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopRequested = true;
    this.running = false;
    this.notifier.stopping();
    for (const cam of this.parts.cameras.list) cam.stop();
    if (this.ticker) clearInterval(this.ticker);
    await Promise.all(this.loops);
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

  /** What each camera's loop does with its frames: presence, outputs, visitors, the live feed. */
  private sink(): FrameSink {
    const { presence, outputs, visitors, live, metrics } = this.parts;
    return {
      frame: (cam, frame, result, totalMs) => {
        this.counters.frames++;
        metrics.frame(result.detections, result.timing);
        const ts = wallTime(frame.timestampMs);
        visitors.annotate(result.unknowns, result.unnamed, frame.timestampMs, ts);
        // Animals still being identified hold the away timers of the pets this camera saw last (presence.ts says why).
        const up = presence.observe(frame.timestampMs, ts, result.sightings, result.unknowns, cam.id, result.undecided);
        this.apply(up, frame.timestampMs, frame.image);
        outputs.snapshots(frame.image, result.sightings, frame.timestampMs);
        live.frame(cam.id, frame.image, trackOverlays(result));
        visitors.crops(frame.image, result.unknowns, frame.timestampMs);
        this.opts.onFrame?.(frame, result, totalMs, cam.id);
      },
      failed: (cam, frame, err, consecutive) => {
        this.counters.failedFrames++;
        metrics.failed(err.message);
        this.log.error('frame processing failed', { camera: cam.id, frame: frame.index, error: err, consecutive });
      },
      afterFrame: () => {
        if (!this.stopRequested) this.notifier.watchdog();
      },
    };
  }

  /** A camera's loop finished: it ended or failed (only itself); the daemon exits once no camera is left and one failed. */
  private onCameraEnd(cam: CameraPipeline, end: PipelineEnd): void {
    if (end.kind === 'stopped' || this.stopRequested) return;
    const iso = new Date().toISOString();
    this.finished.add(cam.id);
    if (end.kind === 'failed') {
      this.firstFailure ??= end.error;
      cam.health.onFinished(iso, 'failed', end.error.message);
      if (this.parts.cameras.list.length > 1)
        this.log.error(`camera ${cam.id} failed: ${end.error.message}; the other cameras go on`, { camera: cam.id, code: end.error.code });
      this.blindness(performance.now());
    } else {
      cam.health.onFinished(iso, 'ended');
      const { skipped } = cam.source.stats();
      this.log.info('camera source ended', { camera: cam.id, frames: cam.counters.frames, skipped });
    }
    this.parts.bridge.publishCamera(cam.id, cam.health.state());
    if (this.finished.size < this.parts.cameras.list.length) return;
    if (this.firstFailure) return this.fail('camera failed', this.firstFailure);
    this.notifier.status('camera source ended');
    if (this.opts.exitAtEnd) this.settle({ code: 0, reason: 'camera source ended' });
  }

  /** Presence is blind exactly while every camera is down (lost or failed). */
  private blindness(now: number): void {
    if (this.parts.cameras.allDown()) this.parts.presence.blind(now);
    else this.parts.presence.sighted(now);
  }

  /** A reconnect attempt: the first one of a loss is logged and published; the rest go to the summary. */
  private onCameraLost(cam: CameraPipeline, attempt: number, delayMs: number, error: GlovesError): void {
    const now = performance.now();
    const first = cam.health.onAttempt(now, new Date().toISOString(), attempt, error.message);
    if (!first) {
      this.log.debug('camera reconnect attempt', { camera: cam.id, attempt, delayMs, code: error.code });
      return;
    }
    this.log.warn(`camera lost: ${error.message}; reconnecting until it is back`, { camera: cam.id, code: error.code, retryInMs: delayMs });
    this.notifier.status(`camera ${cam.name} lost: ${error.message}`);
    this.blindness(now);
    this.parts.bridge.publishCamera(cam.id, cam.health.state());
  }

  private onCameraBack(cam: CameraPipeline, attempts: number): void {
    const now = performance.now();
    const outage = cam.health.onBack(now, new Date().toISOString());
    if (outage === null) return;
    this.log.info('camera back', { camera: cam.id, lostMs: Math.round(outage), attempts });
    this.notifier.status(`watching ${cam.name}`);
    this.blindness(now);
    this.parts.bridge.publishCamera(cam.id, cam.health.state());
  }

  /** One line every `log.summarySeconds`: a warning per lost camera, else the summary. */
  private summary(now: number): void {
    const seconds = (now - this.lastSummaryMs) / 1000;
    if (seconds < this.config.log.summarySeconds) return;
    const fps = (this.counters.frames - this.framesAtSummary) / seconds;
    this.lastSummaryMs = now;
    this.framesAtSummary = this.counters.frames;
    const m = process.memoryUsage();
    const mb = (x: number): number => Math.round(x / 1e5) / 10;
    const cams = this.parts.cameras.list;
    const perCamera = Object.fromEntries(
      cams.map((p) => {
        const fpsCam = (p.counters.frames - (this.camFramesAtSummary.get(p.id) ?? 0)) / seconds;
        this.camFramesAtSummary.set(p.id, p.counters.frames);
        return [p.id, { state: p.health.state().state, fps: Math.round(fpsCam * 10) / 10 }];
      }),
    );
    const lost = cams.filter((p) => p.health.lost);
    const fields = {
      frames: this.counters.frames,
      fps: Math.round(fps * 10) / 10,
      failedFrames: this.counters.failedFrames,
      events: this.counters.events,
      camera: lost.length > 0 ? 'lost' : cams[0]!.health.state().state,
      ...(cams.length > 1 ? { cameras: perCamera } : {}),
      rssMB: mb(m.rss),
      heapMB: mb(m.heapUsed),
      externalMB: mb(m.external),
      ...this.gating(),
      outbox: this.parts.queue.pending,
      outboxWritable: this.parts.queue.writable,
    };
    for (const p of lost) {
      const v = p.health.view(now);
      const what = cams.length > 1 ? `camera ${p.id}` : 'camera';
      this.log.warn(`${what} still lost after ${Math.round(v.lostMs / 1000)} s`, { ...fields, attempts: v.attempts, error: v.error });
    }
    if (lost.length === 0) this.log.info('summary', fields);
  }

  /** Motion gating since the last summary, all cameras together: frames on which detection was skipped. */
  private gating(): { gated: number; gatedFraction: number | null } {
    const g = { frames: 0, gated: 0 };
    for (const p of this.parts.cameras.list) {
      g.frames += p.gate.counters.frames;
      g.gated += p.gate.counters.gated;
    }
    const frames = g.frames - this.gateAtSummary.frames;
    const gated = g.gated - this.gateAtSummary.gated;
    this.gateAtSummary = g;
    return { gated: g.gated, gatedFraction: frames > 0 ? Math.round((gated / frames) * 1000) / 1000 : null };
  }

  private tick(): void {
    this.summary(performance.now());
    const frames = Object.fromEntries(this.parts.cameras.list.map((p) => [p.id, p.counters.frames]));
    this.parts.stats.tick(performance.now(), frames, new Date().toISOString());
    try {
      const now = performance.now();
      this.apply(this.parts.presence.tick(now, new Date().toISOString()), now);
    } catch (err) {
      // Runs from setInterval: an exception here would take the whole daemon down.
      const e = GlovesError.from(err);
      this.log.error(`presence tick failed: ${e.message}`, { code: e.code });
    }
    if (this.running && !this.stopRequested && this.parts.cameras.tickMayPing()) this.notifier.watchdog();
  }

  private apply(up: PresenceUpdate, nowMs: number, image?: RgbImage): void {
    this.counters.events += up.events.length;
    for (const e of up.events) this.parts.metrics.event(e.type);
    this.parts.outputs.apply(up, nowMs, image);
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

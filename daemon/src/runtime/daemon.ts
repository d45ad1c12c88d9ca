/**
 * The composition root of `gloves run`.
 *
 * Components start in order (camera, recognition = detection + embedding +
 * gallery, tracking + voting, presence + outbox, MQTT) and stop in reverse
 * (./components.ts). Once all are up the frame loop runs and READY=1 is sent;
 * the loop pings the systemd watchdog after each frame, so a stalled pipeline
 * stops the pings; the periodic tick also pings while the camera is
 * legitimately without frames (reconnecting, or a finished file source), see
 * ./watchdog.ts for how that is told apart from a stuck frame. `done` settles
 * when the daemon must exit: a fatal camera error, persistent inference
 * failures, or the end of a file source with `exitAtEnd`. A stop() during
 * start() waits for the component being started and stops what was started.
 */
import { join, resolve as resolvePath } from 'node:path';
import { readFileSync } from 'node:fs';
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createFrameSource, drainCameraPipelines, type Frame, type FrameSource } from '../camera/index.js';
import { createBackend } from '../inference/select.js';
import { openRecognizer, type Recognizer } from '../recognition/index.js';
import { Tracker } from '../tracking/tracker.js';
import { Presence, type PresenceUpdate } from '../presence/presence.js';
import { PetStateStore, storedStates, type StoredPets } from '../presence/store.js';
import { Outbox } from '../events/outbox.js';
import { MqttConnection } from '../mqtt/connection.js';
import { MqttBridge } from '../mqtt/bridge.js';
import { SystemdNotifier } from '../systemd/notify.js';
import { packageRoot } from '../util/paths.js';
import { Lifecycle, type Component } from './components.js';
import { FrameProcessor, type FrameResult } from './frame-processor.js';
import { Outputs } from './outputs.js';
import { tickMayPingWatchdog, type LoopPhase } from './watchdog.js';
import { CameraHealth, type CameraHealthView } from './camera-health.js';

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
  private lifecycle: Lifecycle | null = null;
  private source: FrameSource | null = null;
  private recognizer: Recognizer | null = null;
  private tracker: Tracker | null = null;
  private presence: Presence | null = null;
  private outputs: Outputs | null = null;
  private bridge: MqttBridge | null = null;
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
  private readonly camera: CameraHealth;
  private lastSummaryMs = performance.now();
  private framesAtSummary = 0;

  constructor(config: GlovesConfig, log: Logger, opts: DaemonOptions) {
    this.config = config;
    this.log = log;
    this.opts = opts;
    this.notifier = opts.notifier ?? new SystemdNotifier(opts.env, log.child('systemd'));
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.camera = new CameraHealth(new Date().toISOString());
  }

  /** What the daemon knows about itself now: camera availability, counters, memory. */
  health(): { camera: CameraHealthView; frames: number; failedFrames: number; events: number; memory: NodeJS.MemoryUsage } {
    return { camera: this.camera.view(performance.now()), ...this.counters, memory: process.memoryUsage() };
  }

  async start(): Promise<void> {
    // A signal before start(): nothing may start any more.
    if (this.stopRequested) return;
    const c = this.config;
    const stateDir = resolvePath(c.device.stateDir);
    const snapshotsDir = join(stateDir, 'snapshots');
    const store = new PetStateStore(stateDir, this.log.child('state'));
    const outbox = new Outbox(stateDir, this.log.child('outbox'));
    const conn = new MqttConnection(c.mqtt, c.device.id, this.log.child('mqtt'));
    let leftovers: StoredPets = {};

    const components: Component[] = [
      {
        name: 'camera',
        start: async () => {
          const src = createFrameSource({ ...c.camera, ...this.opts.cameraOverrides }, { log: this.log.child('camera') });
          // Non-fatal errors are reported through 'reconnecting': once when the camera is lost, then in the summary.
          src.on('error', ({ error, fatal }) => this.log[fatal ? 'error' : 'debug'](`camera: ${error.message}`, { code: error.code, fatal }));
          src.on('reconnecting', ({ attempt, delayMs, error }) => this.onCameraLost(attempt, delayMs, error));
          src.on('reconnected', ({ attempts }) => this.onCameraBack(attempts));
          this.source = src;
          await src.start();
        },
        stop: async () => {
          await this.source?.stop();
          drainCameraPipelines();
        },
      },
      {
        name: 'recognition',
        start: async () => {
          const log = this.log.child('recognition');
          // Engine builds before READY=1 take minutes on a Jetson: keep the start job alive.
          const backend = createBackend(c.inference, log, this.notifier.buildHeartbeat());
          this.recognizer = await openRecognizer({ config: c, log, backend });
          const pets = this.recognizer.gallery.pets();
          if (pets.length === 0) log.warn('the gallery has no pets: every animal will be unknown', { gallery: c.gallery.dir });
          log.info('models and gallery loaded', { backend: backend.name, pets: pets.map((p) => p.name) });
        },
        stop: async () => {
          await this.recognizer?.dispose();
        },
      },
      {
        name: 'tracking',
        start: async () => {
          this.tracker = new Tracker({ ...c.tracking });
        },
        stop: async () => {},
      },
      {
        name: 'presence',
        start: async () => {
          const saved = store.load();
          const pets = this.recognizer!.gallery.pets().map((p) => ({ petId: p.id, name: p.name }));
          const enrolled = new Set(pets.map((p) => p.petId));
          leftovers = Object.fromEntries(Object.entries(saved).filter(([id]) => !enrolled.has(id)));
          const presence = new Presence({ awayAfterMs: c.tracking.awayAfterSeconds * 1000, unknownCooldownMs: c.tracking.unknownCooldownSeconds * 1000, camera: c.camera.name });
          presence.restore(pets, storedStates(saved), performance.now());
          if (this.camera.lost) presence.blind(performance.now());
          this.presence = presence;
          outbox.open();
        },
        stop: async () => {
          this.outputs?.persist();
          outbox.close();
        },
      },
      {
        name: 'mqtt',
        start: async () => {
          const presence = this.presence!;
          const bridge = new MqttBridge(
            conn,
            outbox,
            {
              discovery: c.mqtt.discovery ? { ...conn.topics, deviceName: c.device.name, swVersion: version(), configurationUrl: undefined } : null,
              snapshotsDir,
              states: () => presence.states(),
              onRemoved: (id) => this.outputs?.forget(id),
              camera: () => ({ name: c.camera.name, state: this.camera.state() }),
            },
            this.log.child('mqtt'),
          );
          bridge.setPets(presence.pets(), Object.keys(leftovers));
          this.bridge = bridge;
          this.outputs = new Outputs({ presence, bridge, store, leftovers }, { camera: c.camera.name, stateRefreshMs: c.tracking.stateRefreshSeconds * 1000, snapshotIntervalMs: c.tracking.snapshotIntervalSeconds * 1000, snapshotsDir }, this.log.child('presence'));
          this.outputs.persist();
          await bridge.start();
        },
        stop: async () => {
          await this.bridge?.stop();
        },
      },
    ];

    this.lifecycle = new Lifecycle(components, this.log);
    const complete = await this.lifecycle.start();
    // A signal arrived while starting: stop() waited for the lifecycle and stops what started.
    if (!complete || this.stopRequested) return;
    const r = this.recognizer!;
    const processor = new FrameProcessor({ detector: r.detector, embedder: r.embedder, matcher: r.matcher, tracker: this.tracker! });
    this.loop = this.frameLoop(processor).catch((err: unknown) => this.fail('frame loop crashed', err));
    this.ticker = setInterval(() => this.tick(), 500);
    this.notifier.ready(`watching ${c.camera.name}`);
    this.log.info('ready', { camera: c.camera.uri, device: c.device.id, pets: this.presence!.pets().length });
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
    const failed = (await this.lifecycle?.stop()) ?? [];
    await this.notifier.close();
    this.settle({ code: failed.length > 0 ? 1 : 0, reason: 'stopped' });
    this.log.info('stopped', failed.length > 0 ? { failedToStop: failed } : {});
  }

  private async frameLoop(processor: FrameProcessor): Promise<void> {
    const src = this.source!;
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
        const ts = wallTime(frame.timestampMs);
        this.apply(this.presence!.observe(frame.timestampMs, ts, result.sightings, result.unknowns), frame.timestampMs);
        this.outputs!.snapshots(frame.image, result.sightings, frame.timestampMs);
        this.opts.onFrame?.(frame, result, performance.now() - t0);
      } catch (err) {
        failures++;
        this.counters.failedFrames++;
        this.log.error('frame processing failed', { frame: frame.index, error: err as Error, consecutive: failures });
        if (failures >= MAX_FRAME_FAILURES) throw new GlovesError('PIPELINE_FAILED', `${failures} consecutive frames failed: ${(err as Error).message}`, {}, { cause: err });
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
    const first = this.camera.onAttempt(now, new Date().toISOString(), attempt, error.message);
    if (!first) {
      this.log.debug('camera reconnect attempt', { attempt, delayMs, code: error.code });
      return;
    }
    this.log.warn(`camera lost: ${error.message}; reconnecting until it is back`, { code: error.code, retryInMs: delayMs });
    this.notifier.status(`camera lost: ${error.message}`);
    this.presence?.blind(now);
    this.bridge?.publishCamera(this.config.camera.name, this.camera.state());
  }

  private onCameraBack(attempts: number): void {
    const now = performance.now();
    const outage = this.camera.onBack(now, new Date().toISOString());
    if (outage === null) return;
    this.log.info('camera back', { lostMs: Math.round(outage), attempts });
    this.notifier.status(`watching ${this.config.camera.name}`);
    this.presence?.sighted(now);
    this.bridge?.publishCamera(this.config.camera.name, this.camera.state());
  }

  /** One line every `log.summarySeconds`: a warning while the camera is lost. */
  private summary(now: number): void {
    if (now - this.lastSummaryMs < this.config.log.summarySeconds * 1000) return;
    const fps = ((this.counters.frames - this.framesAtSummary) * 1000) / (now - this.lastSummaryMs);
    this.lastSummaryMs = now;
    this.framesAtSummary = this.counters.frames;
    const m = process.memoryUsage();
    const mb = (x: number): number => Math.round(x / 1e5) / 10;
    const cam = this.camera.view(now);
    const fields = { frames: this.counters.frames, fps: Math.round(fps * 10) / 10, failedFrames: this.counters.failedFrames, events: this.counters.events, camera: cam.state, rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external) };
    if (cam.state === 'lost') this.log.warn(`camera still lost after ${Math.round(cam.lostMs / 1000)} s`, { ...fields, attempts: cam.attempts, error: cam.error });
    else this.log.info('summary', fields);
  }

  private tick(): void {
    this.summary(performance.now());
    if (!this.presence || !this.outputs) return;
    try {
      const now = performance.now();
      this.apply(this.presence.tick(now, new Date().toISOString()), now);
    } catch (err) {
      // Runs from setInterval: an exception here would take the whole daemon down.
      const code = err instanceof GlovesError ? err.code : 'INTERNAL';
      this.log.error(`presence tick failed: ${(err as Error).message}`, { code });
    }
    if (!this.stopRequested && this.source && tickMayPingWatchdog(this.phase, this.source.stats().state)) this.notifier.watchdog();
  }

  private apply(up: PresenceUpdate, nowMs: number): void {
    this.counters.events += up.events.length;
    this.outputs!.apply(up, nowMs);
  }

  private fail(what: string, err: unknown): void {
    const error = err instanceof GlovesError ? err : new GlovesError('INTERNAL', (err as Error).message ?? String(err), {}, { cause: err });
    this.log.error(`${what}: ${error.message}`, { code: error.code });
    this.settle({ code: 1, reason: what, error });
  }
}

/** Wall-clock time of a monotonic (performance.now) timestamp. */
function wallTime(monoMs: number): string {
  return new Date(Date.now() - (performance.now() - monoMs)).toISOString();
}

let cachedVersion: string | undefined;
function version(): string {
  if (cachedVersion) return cachedVersion;
  try {
    cachedVersion = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    cachedVersion = '0.0.0';
  }
  return cachedVersion;
}

/**
 * The daemon's cameras: one CameraPipeline each (./camera-pipeline.ts), built
 * by buildCameras() up front (no I/O). Starting opens every source at once; a
 * camera that fails to start is marked failed and the others go on: only when
 * every camera fails does the start fail (with the first camera's error, as a
 * single camera always did). Queries across cameras (all down? any online?)
 * live here so that the daemon's policies read as one line each.
 */
import { cameraList, type CameraConfig } from '../camera/config.js';
import { createFrameSource, drainCameraPipelines } from '../camera/index.js';
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import { defaultKernels } from '../kernels/kernels.js';
import type { Logger } from '../log/logger.js';
import { MotionGate } from '../motion/gate.js';
import type { CameraStatus } from '../mqtt/bridge.js';
import { EmbedSchedule } from '../tracking/embed-schedule.js';
import { Tracker, idCounter } from '../tracking/tracker.js';
import { CameraHealth } from './camera-health.js';
import { CameraPipeline } from './camera-pipeline.js';
import { FrameProcessor, type FrameModels } from './frame-processor.js';
import { SerialModels } from './serial-models.js';

export interface CameraEvents {
  onLost(camera: CameraPipeline, attempt: number, delayMs: number, error: GlovesError): void;
  onBack(camera: CameraPipeline, attempts: number): void;
}

/** Builds one pipeline per configured camera, sharing the models and one track id counter. */
export function buildCameras(
  c: GlovesConfig,
  models: FrameModels & { readonly backendName: string | null },
  log: Logger,
  events: CameraEvents,
  overrides: { realtime?: boolean } = {},
): Cameras {
  const { visitors: _visitors, ...trackingConfig } = c.tracking;
  const trackIds = idCounter();
  const list = cameraList(c.camera, c.cameras);
  const single = list.length === 1;
  // Several cameras take turns on the models (./serial-models.ts); one camera's loop is sequential anyway.
  // The detector in a worker computes beside the embedder: then each model has its own queue.
  const overlap = c.inference.detectorWorker;
  const shared = single ? models : new SerialModels(models, () => models.backendName === 'onnxruntime' && !overlap);
  return new Cameras(
    list.map((cam) => {
      const camLog = log.child(single ? 'camera' : `camera ${cam.id}`);
      const source = createFrameSource({ ...cam, ...overrides }, { log: camLog });
      const tracker = new Tracker(trackingConfig, trackIds);
      // A still pet is re-detected well before it would be declared away, whatever the two settings say.
      const gate = new MotionGate(
        { ...c.motion, recheckSeconds: Math.min(c.motion.recheckSeconds, c.tracking.awayAfterSeconds / 2) },
        defaultKernels(),
      );
      const processor = new FrameProcessor(shared, tracker, {
        gate,
        schedule: new EmbedSchedule(c.tracking.embedding),
        flip: c.matching.flipTta,
      });
      const health = new CameraHealth(new Date().toISOString());
      const p = new CameraPipeline({ config: cam, source, health, gate, tracker, processor, lookahead: overlap });
      // Non-fatal errors are reported through 'reconnecting': once when the camera is lost, then in the summary.
      source.on('error', ({ error, fatal }) =>
        log[fatal ? 'error' : 'debug'](`camera: ${error.message}`, { camera: cam.id, code: error.code, fatal }),
      );
      source.on('reconnecting', ({ attempt, delayMs, error }) => events.onLost(p, attempt, delayMs, error));
      source.on('reconnected', ({ attempts }) => events.onBack(p, attempts));
      return p;
    }),
    log,
  );
}

export class Cameras {
  readonly list: readonly CameraPipeline[];
  /** Cameras that failed to start (the others went on), with their errors. */
  readonly startFailures = new Map<string, GlovesError>();
  private readonly log: Logger;

  constructor(list: readonly CameraPipeline[], log: Logger) {
    this.list = list;
    this.log = log;
  }

  get configs(): CameraConfig[] {
    return this.list.map((p) => p.config);
  }

  /** Opens every source at once; fails only when every camera fails. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.list.map((p) => p.source.start()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [GlovesError.from(r.reason)] : []));
    if (errors.length === this.list.length) throw errors[0]!;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const p = this.list[i]!;
      const e = GlovesError.from(r.reason);
      p.health.onFinished(new Date().toISOString(), 'failed', e.message);
      p.idle();
      this.startFailures.set(p.id, e);
      this.log.error(`camera ${p.id} failed to start: ${e.message}; the other cameras go on`, { camera: p.id, code: e.code });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((p) => p.source.stop()));
    drainCameraPipelines();
  }

  /** Nothing can be seen: every camera is lost or failed. */
  allDown(): boolean {
    return this.list.every((p) => p.health.down);
  }

  /** What MQTT publishes per camera. */
  statuses(): CameraStatus[] {
    return this.list.map((p) => ({ id: p.id, state: p.health.state() }));
  }

  /** Whether the daemon's tick may ping the watchdog: every camera's loop allows it (./watchdog.ts). */
  tickMayPing(): boolean {
    return this.list.every((p) => p.tickMayPing());
  }
}

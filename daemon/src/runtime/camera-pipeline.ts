/**
 * One camera of the daemon: its source, health, motion gate, tracker and frame
 * processor (the models behind the processor are shared by every camera: one
 * RecognitionService), and its frame loop. The loop hands each processed frame
 * to a sink (the daemon applies presence and outputs) and settles with how the
 * camera ended: stopped, ended (a file source read to its end) or failed (a
 * fatal source error, or MAX_FRAME_FAILURES consecutive failed frames). A
 * failed camera ends only its own loop: the daemon keeps the others running.
 */
import type { CameraConfig } from '../camera/config.js';
import type { Frame, FrameSource } from '../camera/index.js';
import { GlovesError } from '../errors.js';
import type { MotionGate } from '../motion/gate.js';
import type { Tracker } from '../tracking/tracker.js';
import type { CameraHealth } from './camera-health.js';
import type { Detected, FrameProcessor, FrameResult } from './frame-processor.js';
import { tickMayPingWatchdog, type LoopPhase } from './watchdog.js';

/** Consecutive failed frames after which the camera's processing counts as broken. */
export const MAX_FRAME_FAILURES = 20;

export type PipelineEnd = { kind: 'stopped' } | { kind: 'ended' } | { kind: 'failed'; error: GlovesError };

export interface FrameSink {
  /** A processed frame of `camera`. */
  frame(camera: CameraPipeline, frame: Frame, result: FrameResult, totalMs: number): void;
  /** A frame of `camera` failed (`consecutive` in a row). */
  failed(camera: CameraPipeline, frame: Frame, err: Error, consecutive: number): void;
  /** After every frame, processed or not. */
  afterFrame(): void;
}

export interface CameraPipelineParts {
  config: CameraConfig;
  source: FrameSource;
  health: CameraHealth;
  gate: MotionGate;
  tracker: Tracker;
  processor: FrameProcessor;
  /**
   * Take and detect the next frame while this one is embedded, matched and tracked (one frame
   * ahead). Only worth it when the detector computes off this thread (inference.detectorWorker).
   */
  lookahead?: boolean;
}

/** A frame whose stage one (gate + detection) has started. */
interface Started {
  frame: Frame;
  t0: number;
  detected: Promise<Detected>;
}

const noop = (): void => undefined;

export class CameraPipeline {
  readonly id: string;
  readonly name: string;
  readonly config: CameraConfig;
  readonly source: FrameSource;
  readonly health: CameraHealth;
  readonly gate: MotionGate;
  readonly tracker: Tracker;
  readonly processor: FrameProcessor;
  private readonly lookahead: boolean;
  readonly counters = { frames: 0, failedFrames: 0 };
  private phase: LoopPhase = 'starting';
  private stopRequested = false;
  private wake: (() => void) | null = null;
  /** run() returned: a take started ahead of it must not take or detect another frame. */
  private loopDone = false;

  constructor(p: CameraPipelineParts) {
    this.id = p.config.id;
    this.name = p.config.name;
    this.config = p.config;
    this.source = p.source;
    this.health = p.health;
    this.gate = p.gate;
    this.tracker = p.tracker;
    this.processor = p.processor;
    this.lookahead = p.lookahead ?? false;
  }

  /** Whether the daemon's tick may ping the systemd watchdog on this camera's behalf (./watchdog.ts). */
  tickMayPing(): boolean {
    return tickMayPingWatchdog(this.phase, this.source.stats().state);
  }

  /** The loop no longer runs (it ended, failed, or never started because the camera failed at start). */
  idle(): void {
    if (this.phase !== 'stopped') this.phase = 'idle';
  }

  /** Ends the loop at the next frame (or at once while it waits for one). */
  stop(): void {
    this.stopRequested = true;
    this.phase = 'stopped';
    this.wake?.();
  }

  /**
   * Frames are finished (stage two, the sink) strictly in the order they were
   * taken; with lookahead, frame N+1 is taken and its detection started as
   * soon as frame N's detection is done, while N's stage two runs. Tracker
   * updates stay sequential: only stage one overlaps.
   */
  async run(sink: FrameSink): Promise<PipelineEnd> {
    this.loopDone = false;
    try {
      return await this.loop(sink);
    } finally {
      this.loopDone = true;
      // A take still waiting (lookahead) ends now.
      this.wake?.();
    }
  }

  private async loop(sink: FrameSink): Promise<PipelineEnd> {
    let failures = 0;
    let ahead: Promise<Started | null> | null = null;
    while (!this.stopRequested) {
      this.phase = 'waiting';
      const cur: Started | null = await (ahead ?? this.takeAndStart());
      ahead = null;
      if (!cur) break;
      this.phase = 'processing';
      if (this.lookahead) ahead = cur.detected.then(noop, noop).then(() => this.takeAndStart());
      try {
        const result = await this.processor.finish(cur.frame.image, cur.frame.timestampMs, await cur.detected);
        failures = 0;
        this.counters.frames++;
        sink.frame(this, cur.frame, result, performance.now() - cur.t0);
      } catch (err) {
        failures++;
        this.counters.failedFrames++;
        sink.failed(this, cur.frame, err as Error, failures);
        if (failures >= MAX_FRAME_FAILURES) {
          this.idle();
          const error = new GlovesError(
            'PIPELINE_FAILED',
            `${failures} consecutive frames failed: ${(err as Error).message}`,
            {},
            { cause: err },
          );
          return { kind: 'failed', error };
        }
      }
      if (!this.stopRequested) sink.afterFrame();
    }
    if (this.stopRequested) return { kind: 'stopped' };
    this.idle();
    const err = this.source.lastError;
    return err ? { kind: 'failed', error: GlovesError.from(err) } : { kind: 'ended' };
  }

  /** The next frame with its stage one started; null once the source ended or stop() was called. */
  private async takeAndStart(): Promise<Started | null> {
    if (this.stopRequested || this.loopDone) return null;
    // A fresh stop promise per wait: racing every frame against one long-lived
    // promise attaches a reaction to it per frame, and each reaction keeps its
    // settled race result (the whole frame) alive until stop: ~0.7 MB a frame.
    const stopSignal = new Promise<null>((resolve) => (this.wake = () => resolve(null)));
    const frame = await Promise.race([this.source.next(), stopSignal]);
    this.wake = null;
    if (!frame || this.stopRequested || this.loopDone) return null;
    const t0 = performance.now();
    const detected = this.processor.detect(frame.image, frame.timestampMs);
    // Its error is the frame's, reported when its turn comes (run): not an unhandled rejection meanwhile.
    detected.catch(noop);
    return { frame, t0, detected };
  }
}

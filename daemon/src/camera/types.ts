/**
 * The public frame-source contract consumed by the daemon and the trainer.
 *
 *   const src = createFrameSource(cfg.camera, { log });
 *   await src.start();                 // first frame arrived, or a typed CameraError
 *   for (let f; (f = await src.next()); ) { ... }   // newest unread frame; null when ended for good
 *   await src.stop();                  // idempotent; afterwards the process can exit
 */
import type { z } from 'zod';
import type { cameraSection } from './config.js';
import type { CameraError } from './errors.js';
import type { Frame } from './frame.js';

export type CameraConfig = z.output<typeof cameraSection>;

export interface FrameSourceOptions extends Omit<CameraConfig, 'name' | 'startTimeoutMs' | 'stallTimeoutMs'> {
  name?: string;
  /**
   * true (default): behave like a camera (files play at their own frame rate,
   * test patterns and slideshows are paced). false: as fast as possible
   * (benchmarks, offline processing); a slow consumer then drops frames.
   */
  realtime?: boolean;
  /** Max wait for the first frame in start() (default 10000 ms, 20000 for rtsp). */
  startTimeoutMs?: number;
  /** Live sources: no frame for this long counts as a failure and reconnects (default 10000 ms). */
  stallTimeoutMs?: number;
}

export type SourceState = 'idle' | 'starting' | 'running' | 'reconnecting' | 'ended' | 'stopped';

export interface FrameSourceStats {
  state: SourceState;
  /** Frames produced by the source since start(). */
  frames: number;
  /** Frames returned by next(). */
  delivered: number;
  /** Frames replaced by a newer one before next() took them. */
  dropped: number;
  /** Arrival rate over the last ~2 s of frames. */
  fps: number;
  /** Times a file restarted from the beginning (loop). */
  loops: number;
  /** Successful reconnects of a live source. */
  reconnects: number;
  /** Inputs skipped without ending the source (unreadable slideshow images); not an error of the source. */
  skipped: number;
  width: number;
  height: number;
}

export interface FrameSourceEvents {
  /** End of stream. `looping`: a file restarts; otherwise next() returns null once drained. */
  eos: { looping: boolean };
  /** A pipeline error. `fatal`: the source ended (files, test); otherwise a live source reconnects. */
  error: { error: CameraError; fatal: boolean };
  /** A live source failed and will retry after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; error: CameraError };
  /** A live source delivers frames again. */
  reconnected: { attempts: number };
}

export type FrameSourceEvent = keyof FrameSourceEvents;
export type Listener<E extends FrameSourceEvent> = (payload: FrameSourceEvents[E]) => void;

export interface FrameSource {
  readonly uri: string;
  /** Resolves when the first frame arrived; rejects with a CameraError (and leaves the source stopped). */
  start(): Promise<void>;
  /** The newest frame not yet returned (waits for one); null once the source ended for good or was stopped. */
  next(): Promise<Frame | null>;
  stats(): FrameSourceStats;
  /** The error that ended the source, if any; never set by a non-fatal, skipped input (see stats().skipped). */
  readonly lastError: CameraError | null;
  on<E extends FrameSourceEvent>(event: E, listener: Listener<E>): this;
  off<E extends FrameSourceEvent>(event: E, listener: Listener<E>): this;
  /** Idempotent. Stops every pipeline; afterwards the process can exit. */
  stop(): Promise<void>;
}

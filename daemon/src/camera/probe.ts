/**
 * The camera measurement behind `gloves probe`: open a source, read N frames,
 * and report size, measured fps, drops and any error. A live source that
 * fails is reported and stopped (the daemon would reconnect instead).
 * SIGTERM/SIGINT during a probe end it as 'interrupted'.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { CameraError } from './errors.js';
import { createFrameSource, drainCameraPipelines } from './index.js';
import type { FrameSource } from './types.js';

export interface ProbeReport {
  uri: string;
  ok: boolean;
  /** Frames read by the probe. */
  frames: number;
  requested: number;
  width: number;
  height: number;
  /** Source frame rate between the first and last frame read (counts dropped frames too). */
  fps: number;
  dropped: number;
  firstFrameMs: number | null;
  elapsedMs: number;
  ended: 'frames' | 'eos' | 'error' | 'interrupted' | 'timeout';
  error: { code: string; message: string } | null;
}

export interface ProbeOptions {
  requested: number;
  width: number;
  height: number;
  fps: number;
  realtime: boolean;
  timeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  slideshowFps: number;
  /** Told which signal ended the probe early (the CLI maps it to an exit code). */
  onInterrupt?: (signal: NodeJS.Signals) => void;
}

export async function probeCamera(uri: string, o: ProbeOptions, log: Logger): Promise<ProbeReport> {
  const t0 = performance.now();
  const report: ProbeReport = {
    uri,
    ok: false,
    frames: 0,
    requested: o.requested,
    width: o.width,
    height: o.height,
    fps: 0,
    dropped: 0,
    firstFrameMs: null,
    elapsedMs: 0,
    ended: 'error',
    error: null,
  };
  let src: FrameSource | null = null;
  // Set from signal/timeout callbacks; an object so that TS does not narrow it to null.
  const end: { reason: ProbeReport['ended'] | null } = { reason: null };
  const onSignal = (sig: NodeJS.Signals): void => {
    o.onInterrupt?.(sig);
    end.reason ??= 'interrupted';
    void src?.stop();
  };
  const onTerm = (): void => onSignal('SIGTERM');
  const onInt = (): void => onSignal('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  const timer = setTimeout(() => {
    end.reason ??= 'timeout';
    void src?.stop();
  }, o.timeoutMs);
  try {
    src = createFrameSource(
      {
        uri,
        width: o.width,
        height: o.height,
        fps: o.fps,
        loop: false,
        slideshowFps: o.slideshowFps,
        reconnect: o.reconnect,
        realtime: o.realtime,
        startTimeoutMs: Math.min(o.timeoutMs, 20000),
      },
      { log: log.child('camera') },
    );
    // A probe reports a live failure instead of reconnecting for ever.
    src.on('reconnecting', ({ error }) => {
      end.reason ??= 'error';
      report.error = { code: error.code, message: error.message };
      void src?.stop();
    });
    await src.start();
    log.info(`streaming ${uri}`, { frames: o.requested });
    let first: { index: number; t: number } | null = null;
    let last: { index: number; t: number } | null = null;
    while (report.frames < o.requested) {
      const f = await src.next();
      if (!f) break;
      report.frames++;
      if (f.image.width !== o.width || f.image.height !== o.height) {
        throw new CameraError('SOURCE_FAILED', `frame is ${f.image.width}x${f.image.height}, expected ${o.width}x${o.height}`);
      }
      last = { index: f.index, t: f.timestampMs };
      first ??= last;
      report.firstFrameMs ??= Math.round(f.timestampMs - t0);
    }
    if (first && last && last.t > first.t) report.fps = round1(((last.index - first.index) * 1000) / (last.t - first.t));
    report.dropped = src.stats().dropped;
    const err = src.lastError;
    if (report.frames >= o.requested) report.ended = 'frames';
    else if (end.reason) report.ended = end.reason;
    else if (err) report.ended = 'error';
    else report.ended = 'eos';
    if (err && report.ended === 'error') report.error ??= { code: err.code, message: err.message };
    report.ok = report.frames > 0 && report.error === null && report.ended !== 'timeout';
  } catch (err) {
    if (!(err instanceof CameraError)) throw err;
    report.ended = end.reason ?? 'error';
    if (report.ended !== 'interrupted') report.error = { code: err.code, message: err.message };
    if (err.code === 'SOURCE_TIMEOUT') report.ended = 'timeout';
  } finally {
    clearTimeout(timer);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await src?.stop();
    drainCameraPipelines();
    report.elapsedMs = Math.round(performance.now() - t0);
  }
  return report;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

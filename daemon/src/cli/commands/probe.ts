/**
 * `gloves probe URI`: the operator's first camera check. Opens the source,
 * reads N frames and reports size, measured fps, drops and any error.
 * Exit codes: 0 ok (also when a file ends early), 1 typed camera error,
 * 2 usage, 143/130 when interrupted by SIGTERM/SIGINT.
 */
import { performance } from 'node:perf_hooks';
import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt } from '../args.js';
import { ConfigError, UsageError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { CameraError, createFrameSource, drainCameraPipelines, isLive, parseSourceUri, type FrameSource } from '../../camera/index.js';

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

const HINTS: Record<string, string> = {
  URI_INVALID: 'use file://PATH, rtsp://HOST/..., v4l2:///dev/videoN, csi://N or test://smpte',
  SOURCE_NOT_FOUND: 'check the path; for USB cameras list devices with `ls /dev/video*`',
  SOURCE_FAILED: 'check that the device is not in use, the stream URL and credentials, and the GStreamer plugins (scripts/setup.sh)',
  SOURCE_TIMEOUT: 'the source opened but sent no frame: check the network, the camera, or raise --timeout',
  SOURCE_UNSUPPORTED: 'the source has no decodable video (or csi:// is used off a Jetson)',
  PIPELINE_INVALID: 'a GStreamer element is missing: run scripts/setup.sh',
};

export const probeCommand: Command = {
  name: 'probe',
  summary: 'open a camera source, read some frames and report size, fps, drops and errors',
  usage: `gloves probe URI [--frames N] [--json] [--width W --height H] [--fps F] [--fast] [--timeout S]
  URI: file://PATH (video or image directory), rtsp://..., v4l2:///dev/videoN, csi://N, test://PATTERN
  --frames N     frames to read (default 30)
  --width/--height  output size (default from the camera config: 640x360)
  --fps F        rate for test patterns and cap for live cameras (default 10)
  --fast         do not pace files and test patterns: measure decode throughput
  --timeout S    give up after S seconds (default 30)
  --json         print one JSON object instead of text
  Exit status 0 when frames arrived, 1 on a camera error (code in the output).`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('probe', ctx.argv, {
      frames: { type: 'string' },
      json: { type: 'boolean' },
      width: { type: 'string' },
      height: { type: 'string' },
      fps: { type: 'string' },
      fast: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const uri = positionals[0];
    if (!uri || positionals.length > 1) throw new UsageError('probe: expected exactly one URI (see `gloves probe --help`)', { command: 'probe' });
    const requested = parsePositiveInt('probe', values.frames, '--frames', 30);
    const timeoutMs = parsePositiveInt('probe', values.timeout, '--timeout', 30) * 1000;
    const { width, height, fps, reconnect, slideshowFps } = cameraFlags(values);

    const report = await probe(uri, { requested, width, height, fps, realtime: !values.fast, timeoutMs, reconnect, slideshowFps }, ctx.log);
    if (values.json) ctx.stdout(JSON.stringify(report));
    else for (const line of formatReport(report)) ctx.stdout(line);
    if (report.ended === 'interrupted') return interruptedBy === 'SIGINT' ? 130 : 143;
    return report.ok ? 0 : 1;
  },
};

let interruptedBy: NodeJS.Signals | null = null;

/**
 * The camera flags validated by the same schema as the config file (bounds
 * included), so `--width 100001` is `camera.width: ...` and never reaches
 * GStreamer. The URI is not validated here: a bad one is reported by the
 * probe itself (URI_INVALID, with a hint).
 */
function cameraFlags(values: { width?: string; height?: string; fps?: string }): ReturnType<typeof loadConfig>['camera'] {
  const num = (v: string | undefined): unknown => (v === undefined ? undefined : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  try {
    return loadConfig({ overrides: { 'camera.width': num(values.width), 'camera.height': num(values.height), 'camera.fps': num(values.fps) } }).camera;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const flags = err.problems.map((p) => {
      const flag = /^camera\.(width|height|fps):/.exec(p)?.[1];
      return flag ? `${p} (--${flag})` : p;
    });
    throw new UsageError(`probe: invalid camera flags:\n  ${flags.join('\n  ')}`, { command: 'probe', problems: err.problems });
  }
}

interface ProbeOptions {
  requested: number;
  width: number;
  height: number;
  fps: number;
  realtime: boolean;
  timeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  slideshowFps: number;
}

async function probe(uri: string, o: ProbeOptions, log: import('../../log/logger.js').Logger): Promise<ProbeReport> {
  const t0 = performance.now();
  const report: ProbeReport = {
    uri, ok: false, frames: 0, requested: o.requested, width: o.width, height: o.height,
    fps: 0, dropped: 0, firstFrameMs: null, elapsedMs: 0, ended: 'error', error: null,
  };
  let src: FrameSource | null = null;
  // Set from signal/timeout callbacks; an object so that TS does not narrow it to null.
  const end: { reason: ProbeReport['ended'] | null } = { reason: null };
  const onSignal = (sig: NodeJS.Signals): void => {
    interruptedBy = sig;
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
      { uri, width: o.width, height: o.height, fps: o.fps, loop: false, slideshowFps: o.slideshowFps, reconnect: o.reconnect, realtime: o.realtime, startTimeoutMs: Math.min(o.timeoutMs, 20000) },
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

export function formatReport(r: ProbeReport): string[] {
  const lines = [`camera  ${r.uri}`];
  if (r.frames > 0) {
    lines.push(`frames  ${r.frames} of ${r.requested} read, ${r.width}x${r.height} RGB`);
    lines.push(`fps     ${r.fps > 0 ? r.fps.toFixed(1) : 'n/a (one frame)'} measured at the source`);
    lines.push(`dropped ${r.dropped} (frames replaced before the probe read them)`);
    if (r.firstFrameMs !== null) lines.push(`first   frame after ${r.firstFrameMs} ms`);
  }
  if (r.error) {
    lines.push(`error   [${r.error.code}] ${r.error.message}`);
    const hint = HINTS[r.error.code];
    if (hint) lines.push(`hint    ${hint}`);
    // The probe stops at the first loss; the operator should know the service does not.
    if (r.frames > 0 && isLive(parseSourceUri(r.uri))) lines.push('note    the probe stops here; `gloves run` keeps reconnecting to a live camera (backoff up to camera.reconnect.maxMs)');
  }
  const verdict: Record<ProbeReport['ended'], string> = {
    frames: 'OK: the camera works',
    eos: `OK: the stream ended after ${r.frames} frames`,
    error: 'FAILED',
    interrupted: 'interrupted',
    timeout: `FAILED: timed out after ${Math.round(r.elapsedMs / 1000)} s`,
  };
  if (r.ok) lines.push(verdict[r.ended]);
  else if (r.ended === 'interrupted' || r.ended === 'timeout') lines.push(verdict[r.ended]);
  else lines.push(r.frames === 0 && !r.error ? 'FAILED: no frames' : 'FAILED');
  return lines;
}

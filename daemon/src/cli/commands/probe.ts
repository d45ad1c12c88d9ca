/**
 * `gloves probe URI`, or `gloves probe --config FILE` for each configured camera
 * at once: the operator's first camera check (the measurement is
 * ../../camera/probe.ts; this file parses flags and prints the reports).
 * Exit codes: 0 ok (also when a file ends early), 1 typed camera error,
 * 2 usage, 143/130 when interrupted by SIGTERM/SIGINT.
 */
import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt } from '../args.js';
import { ConfigError, UsageError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { cameraList, type CameraConfig } from '../../camera/config.js';
import { isLive, parseSourceUri } from '../../camera/index.js';
import { probeCamera, type ProbeReport } from '../../camera/probe.js';

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
       gloves probe --config FILE [--camera ID] [--frames N] [--json] [--fast] [--timeout S]
  URI: file://PATH (video or image directory), rtsp://..., v4l2:///dev/videoN, csi://N, test://PATTERN
  --config FILE  probe every camera of a config (camera or cameras), all at once, each with its own settings
  --camera ID    with --config: only this camera
  --frames N     frames to read (default 30)
  --width/--height  output size (default from the camera config: 640x360)
  --fps F        rate for test patterns and cap for live cameras (default 10)
  --fast         do not pace files and test patterns: measure decode throughput
  --timeout S    give up after S seconds (default 30)
  --json         print one JSON object instead of text
  Exit status 0 when frames arrived (from every camera probed), 1 on a camera error (code in the output).`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('probe', ctx.argv, {
      frames: { type: 'string' },
      json: { type: 'boolean' },
      width: { type: 'string' },
      height: { type: 'string' },
      fps: { type: 'string' },
      fast: { type: 'boolean' },
      timeout: { type: 'string' },
      config: { type: 'string' },
      camera: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const uri = positionals[0];
    const requested = parsePositiveInt('probe', values.frames, '--frames', 30);
    const timeoutMs = parsePositiveInt('probe', values.timeout, '--timeout', 30) * 1000;
    const onInterrupt = (sig: NodeJS.Signals): void => {
      interruptedBy = sig;
    };
    if (values.config !== undefined || values.camera !== undefined) {
      if (positionals.length > 0 || values.config === undefined)
        throw new UsageError('probe: give either a URI or --config FILE [--camera ID] (see `gloves probe --help`)', { command: 'probe' });
      if (values.width !== undefined || values.height !== undefined || values.fps !== undefined)
        throw new UsageError('probe: --width/--height/--fps go with a URI; with --config each camera uses its own settings', {
          command: 'probe',
        });
      const cameras = configuredCameras(values.config, values.camera, ctx.env);
      // All at once, as the daemon runs them: a shared bus or CPU shows in the numbers.
      const reports = await Promise.all(
        cameras.map(async (cam) => ({
          camera: cam,
          report: await probeCamera(
            cam.uri,
            { requested, ...cam, realtime: !values.fast, timeoutMs, onInterrupt },
            ctx.log.child(`camera ${cam.id}`),
          ),
        })),
      );
      if (values.json) ctx.stdout(JSON.stringify(reports.map((r) => ({ camera: r.camera.id, name: r.camera.name, ...r.report }))));
      else
        for (const r of reports) {
          ctx.stdout(`== ${r.camera.id}${r.camera.name !== r.camera.id ? ` (${r.camera.name})` : ''}`);
          for (const line of formatReport(r.report)) ctx.stdout(line);
        }
      if (reports.some((r) => r.report.ended === 'interrupted')) return interruptedBy === 'SIGINT' ? 130 : 143;
      return reports.every((r) => r.report.ok) ? 0 : 1;
    }
    if (!uri || positionals.length > 1)
      throw new UsageError('probe: expected exactly one URI (see `gloves probe --help`)', { command: 'probe' });
    const { width, height, fps, reconnect, slideshowFps } = cameraFlags(values);
    const report = await probeCamera(
      uri,
      { requested, width, height, fps, realtime: !values.fast, timeoutMs, reconnect, slideshowFps, onInterrupt },
      ctx.log,
    );
    if (values.json) ctx.stdout(JSON.stringify(report));
    else for (const line of formatReport(report)) ctx.stdout(line);
    if (report.ended === 'interrupted') return interruptedBy === 'SIGINT' ? 130 : 143;
    return report.ok ? 0 : 1;
  },
};

/** The cameras of a config file (env overrides applied), or the one named by --camera. */
function configuredCameras(file: string, only: string | undefined, env: NodeJS.ProcessEnv): CameraConfig[] {
  const c = loadConfig({ file, env });
  const all = cameraList(c.camera, c.cameras);
  if (only === undefined) return all;
  const cam = all.find((x) => x.id === only);
  if (!cam)
    throw new UsageError(`probe: no camera "${only}" in ${file} (cameras: ${all.map((x) => x.id).join(', ')})`, { command: 'probe' });
  return [cam];
}

let interruptedBy: NodeJS.Signals | null = null;

/**
 * The camera flags validated by the same schema as the config file (bounds
 * included), so `--width 100001` is `camera.width: ...` and never reaches
 * GStreamer. The URI is not validated here: a bad one is reported by the
 * probe itself (URI_INVALID, with a hint).
 */
function cameraFlags(values: { width?: string; height?: string; fps?: string }): ReturnType<typeof loadConfig>['camera'] {
  const num = (v: string | undefined): unknown =>
    v === undefined ? undefined : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  try {
    return loadConfig({
      overrides: { 'camera.width': num(values.width), 'camera.height': num(values.height), 'camera.fps': num(values.fps) },
    }).camera;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const flags = err.problems.map((p) => {
      const flag = /^camera\.(width|height|fps):/.exec(p)?.[1];
      return flag ? `${p} (--${flag})` : p;
    });
    throw new UsageError(`probe: invalid camera flags:\n  ${flags.join('\n  ')}`, { command: 'probe', problems: err.problems });
  }
}

export type { ProbeReport };

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
    if (r.frames > 0 && isLive(parseSourceUri(r.uri)))
      lines.push('note    the probe stops here; `gloves run` keeps reconnecting to a live camera (backoff up to camera.reconnect.maxMs)');
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

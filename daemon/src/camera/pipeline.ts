/**
 * Pure builders of GStreamer launch strings, one per source kind and platform.
 *
 * Every string ends in `... ! video/x-raw,format=RGB,width=W,height=H ! appsink name=sink ...`.
 * Scaling happens before colour conversion (converting the small frame is about
 * twice as fast). Frames are stretched to W x H (no letterbox): pixel (x, y) of
 * a frame maps linearly onto the source image.
 */
import { CameraError } from './errors.js';
import type { Platform } from './platform.js';
import type { SourceSpec } from './uri.js';

export interface OutputSpec {
  width: number;
  height: number;
  /** Frames per second: the test pattern's rate, and the cap for live sources. */
  fps: number;
  /**
   * true: behave like a camera (files play at their own rate, test patterns are live).
   * false: produce frames as fast as they are consumed (benchmarks, offline processing).
   */
  realtime: boolean;
  /**
   * 'appsink' (default): frames are pulled in-process. 'fdsink': raw frames
   * go to stdout of a gst-launch child (./process-source.ts, live sources).
   */
  sink?: 'appsink' | 'fdsink';
}

/** A video file (not an image directory: those never reach GStreamer, see slideshow.ts). */
export type PipelineSource = Exclude<SourceSpec, { kind: 'file' }> | { kind: 'file'; path: string };

/** Quote a value for a launch string (the parser takes backslash escapes inside double quotes). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** fps as an exact GStreamer fraction, e.g. 10 -> "10/1", 7.5 -> "15/2". */
export function fraction(fps: number): string {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new CameraError('PIPELINE_INVALID', `fps must be positive, got ${fps}`, { fps });
  let num = Math.round(fps * 1000);
  let den = 1000;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return `${num}/${den}`;
}

function rgbCaps(o: OutputSpec): string {
  return `video/x-raw,format=RGB,width=${o.width},height=${o.height}`;
}

/**
 * The appsink. Files keep every decoded frame (drop=false, newest-wins happens
 * in JS where drops are counted); live sources let appsink drop stale frames
 * so that a blocked JS thread never builds a backlog.
 */
function appsink(o: OutputSpec, live: boolean): string {
  // A leaky queue keeps the child reading its source while the pipe is full: the newest frame wins.
  if (o.sink === 'fdsink') return 'queue leaky=downstream max-size-buffers=1 ! fdsink fd=1 sync=false';
  const drop = live ? 'true' : 'false';
  return `appsink name=sink sync=${o.realtime ? 'true' : 'false'} max-buffers=1 drop=${drop} enable-last-sample=false`;
}

/** CPU scale + convert tail: videoscale before videoconvert. */
function cpuTail(o: OutputSpec, live: boolean): string {
  return `videoscale ! videoconvert ! ${rgbCaps(o)} ! ${appsink(o, live)}`;
}

/** Jetson tail: nvvidconv scales in hardware to BGRx (it cannot emit RGB), videoconvert drops the x. */
function nvTail(o: OutputSpec, live: boolean, rate = ''): string {
  return `nvvidconv ! video/x-raw,format=BGRx,width=${o.width},height=${o.height} ! ${rate}videoconvert ! video/x-raw,format=RGB ! ${appsink(o, live)}`;
}

function maxRate(o: OutputSpec): string {
  return `videorate drop-only=true max-rate=${Math.max(1, Math.ceil(o.fps))} ! `;
}

export function buildPipeline(src: PipelineSource, o: OutputSpec, platform: Platform): string {
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 2 || o.height < 2) {
    throw new CameraError('PIPELINE_INVALID', `output size must be integers >= 2, got ${o.width}x${o.height}`, {
      width: o.width,
      height: o.height,
    });
  }
  let launch: string;
  switch (src.kind) {
    case 'file':
      launch = platform.jetson
        ? `filesrc location=${quote(src.path)} ! decodebin ! ${nvTail(o, false)}`
        : `filesrc location=${quote(src.path)} ! decodebin ! ${cpuTail(o, false)}`;
      break;
    case 'rtsp':
      launch = platform.jetson
        ? `rtspsrc location=${quote(src.url)} latency=200 protocols=tcp ! rtph264depay ! h264parse ! nvv4l2decoder ! ${nvTail(o, true, maxRate(o))}`
        : `rtspsrc location=${quote(src.url)} latency=200 protocols=tcp ! decodebin ! ${maxRate(o)}${cpuTail(o, true)}`;
      break;
    case 'v4l2':
      launch = platform.jetson
        ? `v4l2src device=${quote(src.device)} ! ${maxRate(o)}${nvTail(o, true)}`
        : `v4l2src device=${quote(src.device)} ! ${maxRate(o)}${cpuTail(o, true)}`;
      break;
    case 'csi':
      if (!platform.jetson) {
        throw new CameraError(
          'SOURCE_UNSUPPORTED',
          `csi://${src.sensorId} needs a Jetson (nvarguscamerasrc); use v4l2:// for USB cameras`,
          { sensorId: src.sensorId },
        );
      }
      launch = `nvarguscamerasrc sensor-id=${src.sensorId} ! video/x-raw(memory:NVMM) ! ${nvTail(o, true, maxRate(o))}`;
      break;
    case 'test': {
      // Produced at the output size directly: nothing to scale.
      const live = o.realtime ? 'true' : 'false';
      launch = `videotestsrc pattern=${src.pattern} is-live=${live} ! video/x-raw,width=${o.width},height=${o.height},framerate=${fraction(o.fps)} ! videoconvert ! ${rgbCaps(o)} ! ${appsink(o, o.realtime)}`;
      break;
    }
  }
  validateLaunch(launch, o.sink);
  return launch;
}

/**
 * Guards the addon: a launch string with a single element crashes the process
 * (SIGSEGV) instead of throwing, and the frame reader needs `appsink name=sink`.
 * Counts `!` links outside quotes.
 */
export function validateLaunch(launch: string, sink: OutputSpec['sink'] = 'appsink'): void {
  let links = 0;
  let inQuote = false;
  for (let i = 0; i < launch.length; i++) {
    const c = launch[i];
    if (c === '\\') i++;
    else if (c === '"') inQuote = !inQuote;
    else if (c === '!' && !inQuote) links++;
  }
  if (inQuote) throw new CameraError('PIPELINE_INVALID', 'launch string has an unterminated quote', { launch });
  if (links < 1)
    throw new CameraError(
      'PIPELINE_INVALID',
      'launch string must link at least two elements (a single element crashes gstreamer-superficial)',
      { launch },
    );
  if (sink === 'fdsink') {
    if (!/\bfdsink fd=1\b/.test(launch)) throw new CameraError('PIPELINE_INVALID', 'launch string must end in `fdsink fd=1`', { launch });
  } else if (!/\bappsink name=sink\b/.test(launch))
    throw new CameraError('PIPELINE_INVALID', 'launch string must end in `appsink name=sink`', { launch });
}

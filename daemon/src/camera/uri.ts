/**
 * Pure parsing of camera source URIs. No file system or device access here:
 * whether a file:// path is a video or an image directory is decided later
 * (./resolve.ts).
 *
 *   file://PATH              absolute or relative path (file:///abs, file://rel/dir)
 *   rtsp://[user:pw@]host... passed to rtspsrc unchanged (rtsps:// too)
 *   v4l2:///dev/videoN       a V4L2 device node
 *   csi://N                  Jetson CSI sensor id (nvarguscamerasrc)
 *   test://PATTERN           videotestsrc pattern nick (smpte, ball, snow, ...)
 */
import { CameraError } from './errors.js';

export type SourceSpec =
  | { kind: 'file'; path: string }
  | { kind: 'rtsp'; url: string }
  | { kind: 'v4l2'; device: string }
  | { kind: 'csi'; sensorId: number }
  | { kind: 'test'; pattern: string };

export type SourceKind = SourceSpec['kind'];

/** videotestsrc pattern nicks (GStreamer 1.22). Validated so that no free text reaches a launch string. */
export const TEST_PATTERNS: readonly string[] = [
  'smpte',
  'snow',
  'black',
  'white',
  'red',
  'green',
  'blue',
  'checkers-1',
  'checkers-2',
  'checkers-4',
  'checkers-8',
  'circular',
  'blink',
  'smpte75',
  'zone-plate',
  'gamut',
  'chroma-zone-plate',
  'solid-color',
  'ball',
  'smpte100',
  'bar',
  'pinwheel',
  'spokes',
  'gradient',
  'colors',
  'smpte-rp-219',
];

/** Characters that would break out of a quoted launch-string value or make no sense in a source name. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /["\u0000-\u001f\u007f]/;

function invalid(uri: string, why: string): CameraError {
  return new CameraError('URI_INVALID', `invalid camera URI ${JSON.stringify(uri)}: ${why}`, { uri });
}

/** True for sources that are cameras (reconnect on failure) rather than files or test patterns. */
export function isLive(spec: SourceSpec): boolean {
  return spec.kind === 'rtsp' || spec.kind === 'v4l2' || spec.kind === 'csi';
}

export function parseSourceUri(uri: string): SourceSpec {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalid(String(uri), 'empty');
  if (UNSAFE.test(uri)) throw invalid(uri, 'contains quotes or control characters');
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(uri);
  if (!m) throw invalid(uri, 'expected SCHEME://..., one of file, rtsp, v4l2, csi, test');
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (scheme) {
    case 'file': {
      let path: string;
      try {
        path = decodeURIComponent(rest);
      } catch {
        throw invalid(uri, 'bad percent-encoding in path');
      }
      if (path === '') throw invalid(uri, 'file:// needs a path');
      if (UNSAFE.test(path)) throw invalid(uri, 'path contains quotes or control characters');
      return { kind: 'file', path };
    }
    case 'rtsp':
    case 'rtsps': {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        throw invalid(uri, 'not a valid URL');
      }
      if (!url.hostname) throw invalid(uri, 'rtsp:// needs a host');
      if (/\s/.test(uri)) throw invalid(uri, 'contains whitespace');
      return { kind: 'rtsp', url: uri };
    }
    case 'v4l2': {
      if (!/^\/dev\/[A-Za-z0-9_./-]+$/.test(rest) || rest.includes('..')) throw invalid(uri, 'expected v4l2:///dev/videoN');
      return { kind: 'v4l2', device: rest };
    }
    case 'csi': {
      if (!/^\d{1,2}$/.test(rest)) throw invalid(uri, 'expected csi://N with a sensor id 0-99');
      return { kind: 'csi', sensorId: Number(rest) };
    }
    case 'test': {
      const pattern = rest === '' ? 'smpte' : rest.toLowerCase();
      if (!TEST_PATTERNS.includes(pattern)) throw invalid(uri, `unknown test pattern; use one of ${TEST_PATTERNS.join(', ')}`);
      return { kind: 'test', pattern };
    }
    default:
      throw invalid(uri, `unsupported scheme ${JSON.stringify(scheme)}; use file, rtsp, v4l2, csi or test`);
  }
}

/**
 * Turns a parsed file:// spec into what it names on disk: a video file or a
 * directory of images (slideshow). The only file-system step before a
 * pipeline is built, so that a missing path is SOURCE_NOT_FOUND at once rather
 * than a pipeline failure.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { CameraError } from './errors.js';

/** Image types sharp decodes without extra libraries. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.bmp'];

export type FileTarget = { kind: 'video'; path: string } | { kind: 'slideshow'; dir: string; files: string[] };

export function resolveFileTarget(path: string): FileTarget {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch (err) {
    throw new CameraError('SOURCE_NOT_FOUND', `no such file or directory: ${abs}`, { path: abs }, { cause: err });
  }
  if (st.isFile()) return { kind: 'video', path: abs };
  if (!st.isDirectory()) throw new CameraError('SOURCE_UNSUPPORTED', `not a file or directory: ${abs}`, { path: abs });
  const files = readdirSync(abs)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((f) => join(abs, f));
  if (files.length === 0) {
    throw new CameraError('SOURCE_UNSUPPORTED', `directory has no images (${IMAGE_EXTENSIONS.join(' ')}): ${abs}`, { path: abs });
  }
  return { kind: 'slideshow', dir: abs, files };
}

/** Fails early with SOURCE_NOT_FOUND for a v4l2 device node that does not exist. */
export function checkDevice(device: string): void {
  try {
    statSync(device);
  } catch (err) {
    throw new CameraError(
      'SOURCE_NOT_FOUND',
      `no such video device: ${device} (is the camera plugged in? see \`ls /dev/video*\`)`,
      { device },
      { cause: err },
    );
  }
}

/** Frame type and the pure helpers that turn appsink samples into packed RGB. */
import type { RgbImage } from '../vision/image.js';
import { CameraError } from './errors.js';

export interface Frame {
  /** Packed RGB at the configured width x height. */
  image: RgbImage;
  /** Sequence number of the frame as produced by the source, from 0; gaps are dropped frames. */
  index: number;
  /** Arrival time, monotonic (performance.now() ms). GStreamer PTS is not exposed by the addon. */
  timestampMs: number;
}

/**
 * GStreamer pads RGB rows to a multiple of 4 bytes; RgbImage is unpadded.
 * Returns `buf` itself when no repacking is needed.
 */
export function packRgb(buf: Uint8Array, width: number, height: number): Uint8Array {
  const row = width * 3;
  if (buf.length === row * height) return buf;
  const stride = Math.ceil(row / 4) * 4;
  if (buf.length !== stride * height) {
    throw new CameraError('SOURCE_FAILED', `frame of ${buf.length} bytes does not match RGB ${width}x${height}`, {
      width,
      height,
      length: buf.length,
    });
  }
  const out = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) out.set(buf.subarray(y * stride, y * stride + row), y * row);
  return out;
}

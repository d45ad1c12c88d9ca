/**
 * In-memory images. Frames from the camera and decoded photos are packed,
 * 8-bit, row-major, no row padding. `RgbImage` is the lingua franca between
 * camera, detection, embedding and snapshots.
 */
import { GlovesError } from '../errors.js';

export type PixelFormat = 'RGB' | 'BGR' | 'RGBA' | 'NV12';

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, R,G,B order. */
  data: Uint8Array;
}

export interface PixelImage {
  format: PixelFormat;
  width: number;
  height: number;
  data: Uint8Array;
}

export class ImageError extends GlovesError {}

/** Bytes a packed image of this format needs (NV12: Y plane + interleaved UV at half resolution). */
export function expectedBytes(format: PixelFormat, width: number, height: number): number {
  switch (format) {
    case 'RGB':
    case 'BGR':
      return width * height * 3;
    case 'RGBA':
      return width * height * 4;
    case 'NV12':
      return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  }
}

/** Throws IMAGE_INVALID when dimensions or buffer length are wrong. */
export function assertImage(img: PixelImage): void {
  const { format, width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('IMAGE_INVALID', `image size must be positive integers, got ${width}x${height}`, { width, height });
  }
  if (format === 'NV12' && (width % 2 !== 0 || height % 2 !== 0)) {
    throw new ImageError('IMAGE_INVALID', `NV12 needs even width and height, got ${width}x${height}`, { width, height });
  }
  const need = expectedBytes(format, width, height);
  if (data.length !== need) {
    throw new ImageError('IMAGE_INVALID', `${format} ${width}x${height} needs ${need} bytes, got ${data.length}`, {
      format,
      width,
      height,
      length: data.length,
    });
  }
}

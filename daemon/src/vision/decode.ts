/**
 * Image files <-> RgbImage, via sharp (libvips). EXIF orientation is applied so
 * that boxes refer to the image as a person sees it; alpha is dropped.
 *
 * Errors: IMAGE_NOT_FOUND (no such file / not a file), IMAGE_DECODE_FAILED
 * (not an image, truncated or corrupt data).
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError, type RgbImage } from './image.js';

/** Decode encoded image bytes (JPEG, PNG, WebP, ...) to packed RGB. */
export async function decodeImage(bytes: Uint8Array, source = '<buffer>'): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new ImageError(
      'IMAGE_DECODE_FAILED',
      `cannot decode image ${source}: ${(err as Error).message}`,
      { file: source },
      { cause: err },
    );
  }
}

export async function decodeImageFile(file: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    bytes = await readFile(file);
  } catch (err) {
    throw new ImageError('IMAGE_NOT_FOUND', `cannot read image ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return decodeImage(bytes, file);
}

/** Encode an RGB image as JPEG (used for the gallery's stored crops). */
export async function encodeJpeg(img: RgbImage, quality = 92): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

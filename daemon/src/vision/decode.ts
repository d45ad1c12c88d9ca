/**
 * Image files <-> RgbImage, via sharp (libvips). EXIF orientation is applied so
 * that boxes refer to the image as a person sees it; alpha is dropped.
 *
 * Errors: IMAGE_NOT_FOUND (no such file / not a file), IMAGE_DECODE_FAILED
 * (not an image, truncated or corrupt data), IMAGE_TOO_LARGE (declared size
 * above MAX_IMAGE_PIXELS: a 600-byte JPEG header may declare 12000x12000, and
 * libjpeg pads missing data, so without the limit it "decodes" to 432 MB).
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError, type RgbImage } from './image.js';

/**
 * Largest image decoded, in pixels (8192 x 8192, 64 MP: a 50 MP phone photo passes; at most
 * 200 MB of RGB). Pets are recognised on 416-px inputs: nothing needs more.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** Decode encoded image bytes (JPEG, PNG, WebP, ...) to packed RGB. */
export async function decodeImage(bytes: Uint8Array, source = '<buffer>'): Promise<RgbImage> {
  // The header alone first: a declared size over the limit is refused before any pixel is allocated.
  let header: { width?: number; height?: number } | undefined;
  try {
    header = await sharp(bytes).metadata();
  } catch {
    // Not even a header: the decode below says why, with the decoder's own words.
  }
  if (header?.width && header.height && header.width * header.height > MAX_IMAGE_PIXELS)
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `image ${source} declares ${header.width}x${header.height} pixels, more than the ${MAX_IMAGE_PIXELS / 1048576} MP this decodes`,
      { file: source, width: header.width, height: header.height },
    );
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS })
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

/** JPEG of a box of a frame (with a margin), for the retained snapshot topic. */
import sharp from 'sharp';
import type { Box } from '../recognition/types.js';
import type { RgbImage } from '../vision/image.js';

export async function cropJpeg(img: RgbImage, box: Box, margin = 0.15, quality = 80): Promise<Buffer> {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const left = Math.max(0, Math.floor(box[0] - w * margin));
  const top = Math.max(0, Math.floor(box[1] - h * margin));
  const right = Math.min(img.width, Math.ceil(box[2] + w * margin));
  const bottom = Math.min(img.height, Math.ceil(box[3] + h * margin));
  const input = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const pipeline = sharp(input, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (right - left >= 2 && bottom - top >= 2) pipeline.extract({ left, top, width: right - left, height: bottom - top });
  return pipeline.jpeg({ quality }).toBuffer();
}

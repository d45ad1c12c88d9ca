/** Real test frames: decoded from the shared clip by GStreamer in each pixel format, and the photos via sharp. */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile } from '../../daemon/src/vision/decode.js';
import { expectedBytes, type PixelFormat, type PixelImage, type RgbImage } from '../../daemon/src/vision/image.js';
import { catClip, catsDir, fixtures } from '../helpers/paths.js';

export const CLIP_W = 640;
export const CLIP_H = 338;

/** The first `count` frames of the clip, converted by GStreamer's videoconvert to `format`. */
export function clipFrames(format: PixelFormat, count: number): Promise<PixelImage[]> {
  const frameBytes = expectedBytes(format, CLIP_W, CLIP_H);
  const args = [
    '-q',
    'filesrc',
    `location=${catClip}`,
    '!',
    'decodebin',
    '!',
    'videoconvert',
    '!',
    `video/x-raw,format=${format}`,
    '!',
    'fdsink',
    'fd=1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('gst-launch-1.0', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let have = 0;
    let err = '';
    const finish = (): void => {
      const all = Buffer.concat(chunks);
      const frames: PixelImage[] = [];
      for (let i = 0; i < count && (i + 1) * frameBytes <= all.length; i++) {
        frames.push({ format, width: CLIP_W, height: CLIP_H, data: new Uint8Array(all.subarray(i * frameBytes, (i + 1) * frameBytes)) });
      }
      if (frames.length < count) reject(new Error(`gst-launch gave ${frames.length}/${count} ${format} frames: ${err}`));
      else resolve(frames);
    };
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have >= count * frameBytes) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', finish);
  });
}

/** Re-pack an RGB image as another packed format (for photos). */
export function fromRgb(img: RgbImage, format: 'RGB' | 'BGR' | 'RGBA'): PixelImage {
  const { width, height, data } = img;
  if (format === 'RGB') return { format, width, height, data };
  const n = width * height;
  const out = new Uint8Array(n * (format === 'RGBA' ? 4 : 3));
  for (let i = 0; i < n; i++) {
    if (format === 'BGR') {
      out[3 * i] = data[3 * i + 2]!;
      out[3 * i + 1] = data[3 * i + 1]!;
      out[3 * i + 2] = data[3 * i]!;
    } else {
      out[4 * i] = data[3 * i]!;
      out[4 * i + 1] = data[3 * i + 1]!;
      out[4 * i + 2] = data[3 * i + 2]!;
      out[4 * i + 3] = (i * 37) & 255;
    }
  }
  return { format, width, height, data: out };
}

/** A few real photos: two cats, the two-cat window shot and a negative. */
export async function photos(): Promise<{ name: string; img: RgbImage }[]> {
  const names = readdirSync(catsDir).sort().slice(0, 2);
  const files = [
    ...names.map((n) =>
      join(
        catsDir,
        n,
        readdirSync(join(catsDir, n))
          .filter((f) => f.endsWith('.jpg'))
          .sort()[0]!,
      ),
    ),
    join(fixtures, 'multi', 'two_cats_window.jpg'),
    join(fixtures, 'negatives', 'hpc203_dog.jpg'),
  ];
  return Promise.all(files.map(async (f) => ({ name: f.slice(fixtures.length + 1), img: await decodeImageFile(f) })));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

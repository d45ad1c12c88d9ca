/**
 * The embedder: crop each box with a margin, resize as the manifest says, run the
 * batch, and L2-normalise. With `flip`, each crop is also embedded mirrored
 * left-right and the two unit vectors are averaged (test-time augmentation).
 */
import { GlovesError } from '../../errors.js';
import type { InferenceSession } from '../../inference/backend.js';
import type { ModelManifest } from '../../models/manifest.js';
import type { Region } from '../../vision/preprocess.js';
import { defaultKernels, type PixelKernels } from '../../kernels/kernels.js';
import type { RgbImage } from '../../vision/image.js';
import { cropRegion } from './crop.js';
import { inputSize } from '../detection/detector.js';
import type { Box, Embedder } from '../types.js';

export interface EmbedderOptions {
  /** Fraction of the box size added on each side before cropping. */
  cropMargin: number;
  /** Average with the embedding of the mirrored crop. */
  flip: boolean;
  /** Crop+resize kernels (default: the native addon when built, else the TypeScript reference). */
  kernels?: PixelKernels;
}

/** Stable id of an embedding space: the manifest name and a sha256 prefix. */
export function embedderModelId(m: ModelManifest): string {
  return `${m.name}@${m.sha256.slice(0, 12)}`;
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

/** Mirror each [C,H,W] slot of an NCHW batch left-right, in place. */
export function flipNchwInPlace(t: Float32Array, n: number, c: number, h: number, w: number): void {
  for (let row = 0; row < n * c * h; row++) {
    const o = row * w;
    for (let i = 0, j = w - 1; i < j; i++, j--) {
      const tmp = t[o + i]!;
      t[o + i] = t[o + j]!;
      t[o + j] = tmp;
    }
  }
}

export interface RegionEmbedder extends Embedder {
  /** Embed explicit pixel regions (e.g. a whole stored crop). */
  embedRegions(img: RgbImage, regions: readonly Region[]): Promise<Float32Array[]>;
}

export function createEmbedder(manifest: ModelManifest, session: InferenceSession, opts: EmbedderOptions): RegionEmbedder {
  if (manifest.task !== 'embedder' || manifest.postprocess.kind !== 'embedding') {
    throw new GlovesError('MANIFEST_INVALID', `${manifest.name} is not an embedder`);
  }
  const normalize = manifest.postprocess.normalize === 'l2';
  const [w, h] = inputSize(manifest);
  const inName = manifest.inputs[0]!.name;
  const outName = manifest.outputs[0]!.name;
  const batchFree = typeof manifest.inputs[0]!.shape[0] === 'string';
  const slot = 3 * w * h;
  const kernels = opts.kernels ?? defaultKernels();

  async function runBatch(tensor: Float32Array, n: number): Promise<Float32Array[]> {
    const out = await session.run({ [inName]: { dims: [n, 3, h, w], data: tensor } });
    const o = out[outName]!;
    const dim = o.data.length / n;
    return Array.from({ length: n }, (_, i) => {
      const v = o.data.slice(i * dim, (i + 1) * dim);
      return normalize ? l2normalize(v) : v;
    });
  }

  async function embedChunk(img: RgbImage, regions: readonly Region[], flip: boolean): Promise<Float32Array[]> {
    const n = regions.length;
    const tensor = new Float32Array(n * slot);
    await kernels.preprocessInto(
      { format: 'RGB', width: img.width, height: img.height, data: img.data },
      manifest.preprocess,
      w,
      h,
      tensor,
      0,
      regions,
    );
    const plain = await runBatch(tensor, n);
    if (!flip) return plain;
    flipNchwInPlace(tensor, n, 3, h, w);
    const flipped = await runBatch(tensor, n);
    return plain.map((v, i) => {
      const f = flipped[i]!;
      const m = new Float32Array(v.length);
      for (let k = 0; k < v.length; k++) m[k] = (v[k]! + f[k]!) / 2;
      return l2normalize(m);
    });
  }

  async function embedRegions(img: RgbImage, regions: readonly Region[], flip = opts.flip): Promise<Float32Array[]> {
    if (regions.length === 0) return [];
    if (batchFree) return embedChunk(img, regions, flip);
    const res: Float32Array[] = [];
    for (const r of regions) res.push(...(await embedChunk(img, [r], flip)));
    return res;
  }

  return {
    modelId: embedderModelId(manifest),
    embed: (img: RgbImage, boxes: readonly Box[], o?: { flip?: boolean }) =>
      embedRegions(
        img,
        boxes.map((b) => cropRegion(b, opts.cropMargin, img.width, img.height)),
        o?.flip ?? opts.flip,
      ),
    embedRegions: (img: RgbImage, regions: readonly Region[]) => embedRegions(img, regions),
    dispose: () => session.dispose(),
  };
}

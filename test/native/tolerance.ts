/**
 * The stated tolerance of the native pixel kernels against the TypeScript
 * reference (native/src/kernels/resample.h): per output value of channel c,
 *   |native - reference| <= TOLERANCE_LEVELS * |mul[c]|,  mul[c] = spec.scale / spec.std[c],
 * i.e. 1e-3 of one 8-bit pixel level before normalisation (for YOLOX, mul = 1:
 * 1e-3 in tensor units; for the ImageNet-normalised embedder, mul ~ 0.0174:
 * ~1.7e-5). The native kernel blends in float where the reference uses double.
 */
import type { PreprocessSpec } from '../../daemon/src/models/manifest.js';
import { normFor } from '../../daemon/src/kernels/geometry.js';

export const TOLERANCE_LEVELS = 1e-3;

/**
 * The largest difference between two [N,3,H,W] tensors, in 8-bit pixel levels
 * (|diff| / |mul[c]|); Infinity on a length mismatch or NaN.
 */
export function maxLevelDiff(got: Float32Array, ref: Float32Array, spec: PreprocessSpec, outW: number, outH: number): number {
  if (got.length !== ref.length || ref.length % (3 * outW * outH) !== 0) return Infinity;
  const { mul } = normFor(spec);
  const plane = outW * outH;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!) / Math.abs(mul[Math.floor(i / plane) % 3]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

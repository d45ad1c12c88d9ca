/**
 * Mixed precision by measurement: some activations (e.g. YOLOX-nano's stem,
 * whose raw 0..255 input gives channels of very different ranges) lose too
 * much at per-tensor int8. Each candidate is quantized alone and the model
 * output error on a few calibration samples is measured; then the most
 * sensitive tensors are kept in float, greedily, until the whole model's
 * output error is within `target`.
 *
 * Error = ||y_q - y|| / ||y|| over all graph outputs (relative L2), averaged over samples.
 */
import { cloneModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { quantizeQdq, selectActivations, type ActivationRange, type QdqOptions } from '../qdq/quantize.js';
import { createSession, runFloat, type FloatTensor } from '../ort.js';

export interface SensitivityOptions {
  qdq: QdqOptions;
  /** Keep excluding until the whole-model relative error is at most this. */
  target: number;
  /** Never exclude more than this fraction of the candidates. */
  maxExcludedFraction?: number;
  threads?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface SensitivityResult {
  perTensor: { name: string; error: number }[];
  excluded: string[];
  errorAll: number;
  errorFinal: number;
}

async function outputs(model: ModelProto, feeds: Record<string, FloatTensor>[], threads: number): Promise<Float32Array[][]> {
  const s = await createSession(encodeModel(model), { threads, optimization: 'basic' });
  try {
    const res: Float32Array[][] = [];
    for (const f of feeds) res.push(Object.values(await runFloat(s, f)).map((t) => t.data.slice()));
    return res;
  } finally {
    await s.release();
  }
}

function relError(ref: Float32Array[][], got: Float32Array[][]): number {
  let total = 0;
  for (let k = 0; k < ref.length; k++) {
    let num = 0;
    let den = 0;
    ref[k]!.forEach((r, o) => {
      const g = got[k]![o]!;
      for (let i = 0; i < r.length; i++) {
        num += (g[i]! - r[i]!) ** 2;
        den += r[i]! ** 2;
      }
    });
    total += Math.sqrt(num / Math.max(den, 1e-30));
  }
  return total / ref.length;
}

export async function excludeSensitive(
  fp32: ModelProto,
  ranges: ReadonlyMap<string, ActivationRange>,
  feeds: Record<string, FloatTensor>[],
  opts: SensitivityOptions,
): Promise<SensitivityResult> {
  const threads = opts.threads ?? 2;
  const ref = await outputs(fp32, feeds, threads);
  const build = (keep: ReadonlyMap<string, ActivationRange>): ModelProto => {
    const m = cloneModel(fp32);
    quantizeQdq(m, keep, opts.qdq);
    return m;
  };
  const errorOf = async (keep: ReadonlyMap<string, ActivationRange>): Promise<number> => relError(ref, await outputs(build(keep), feeds, threads));
  const candidates = [...selectActivations(fp32, opts.qdq.layout ?? 'full')].filter((n) => ranges.has(n));
  const perTensor: { name: string; error: number }[] = [];
  for (const [k, name] of candidates.entries()) {
    perTensor.push({ name, error: await errorOf(new Map([[name, ranges.get(name)!]])) });
    opts.onProgress?.('sensitivity', k + 1, candidates.length);
  }
  perTensor.sort((a, b) => b.error - a.error || (a.name < b.name ? -1 : 1));
  const without = (n: number): Map<string, ActivationRange> => {
    const drop = new Set(perTensor.slice(0, n).map((p) => p.name));
    return new Map([...ranges].filter(([name]) => !drop.has(name)));
  };
  const errorAll = await errorOf(ranges);
  const limit = Math.floor(candidates.length * (opts.maxExcludedFraction ?? 0.25));
  let n = 0;
  let err = errorAll;
  // Doubling search: 1, 2, 4, ... tensors kept in float, then the smallest count that meets the target.
  while (err > opts.target && n < limit) {
    n = Math.min(limit, n === 0 ? 1 : n * 2);
    err = await errorOf(without(n));
    opts.onProgress?.('mixed precision', n, limit);
  }
  return { perTensor, excluded: perTensor.slice(0, n).map((p) => p.name), errorAll, errorFinal: err };
}

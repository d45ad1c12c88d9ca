/**
 * Mixed precision by measurement. Per-tensor int8 cannot represent some
 * activations (YOLOX-nano's stem output spans 0..142 with nearly all values
 * below 10), and the best range method differs from tensor to tensor. So:
 * 1. base = the model with every weight quantized (per-channel, bias
 *    corrected by the caller) and all activations float;
 * 2. each candidate activation is quantized alone with each candidate range
 *    (entropy, percentile, mse, ...), and the output error on a few probe
 *    samples is measured; the tensor keeps its best range;
 * 3. the tensors are ranked by that best error and the most sensitive are
 *    kept in float by `chooseFloatCount`.
 */
import { cloneModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { quantizeQdq, selectActivations, type ActivationRange, type QdqOptions } from '../qdq/quantize.js';
import { createSession, runFloat, type FloatTensor } from '../ort.js';
import { relativeL2, type OutputError } from './output-error.js';

export interface RangeCandidate {
  method: string;
  range: ActivationRange;
}

export interface SensitivityOptions {
  qdq: QdqOptions;
  /** Stop keeping tensors in float once the whole-model error is at most this. */
  target: number;
  /** Never keep more than this fraction of the candidate activations in float. */
  maxExcludedFraction?: number;
  /** Stop when doubling the float count improves the error by less than this fraction. */
  minGain?: number;
  error?: OutputError;
  threads?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface SensitivityResult {
  /** Most sensitive first: each tensor's error when quantized alone with its best range. */
  perTensor: { name: string; error: number; method: string }[];
  /** The range chosen for every candidate tensor. */
  chosen: Map<string, RangeCandidate>;
  excluded: string[];
  errorWeightsOnly: number;
  errorAll: number;
  errorFinal: number;
  steps: { float: number; error: number }[];
}

export interface FloatCountDecision {
  n: number;
  error: number;
  steps: { float: number; error: number }[];
}

/**
 * The float-keeping policy (pure apart from `errorOf`): try keeping 1, 2, 4, ...
 * of the most sensitive tensors in float (at most `limit`). Stop at the first
 * count whose error is within `target`; or, when doubling improved the error
 * by less than `minGain` of the previous error, keep the previous count: the
 * remaining error is spread over many tensors, and floating more of them buys
 * little accuracy for a lot of INT8 coverage.
 */
export async function chooseFloatCount(
  errorOf: (n: number) => Promise<number>,
  errorAll: number,
  limit: number,
  target: number,
  minGain = 0.1,
): Promise<FloatCountDecision> {
  const steps = [{ float: 0, error: errorAll }];
  let n = 0;
  let err = errorAll;
  while (err > target && n < limit) {
    const next = Math.min(limit, n === 0 ? 1 : n * 2);
    const e = await errorOf(next);
    steps.push({ float: next, error: e });
    if (e <= target) return { n: next, error: e, steps };
    if (err - e < minGain * err) break;
    n = next;
    err = e;
  }
  return { n, error: err, steps };
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

/**
 * `reference` is the FP32 model whose outputs are the truth; `base` the model
 * that gets quantized (the same graph, possibly with corrected biases).
 */
export async function searchMixedPrecision(
  reference: ModelProto,
  base: ModelProto,
  candidates: ReadonlyMap<string, readonly RangeCandidate[]>,
  feeds: Record<string, FloatTensor>[],
  opts: SensitivityOptions,
): Promise<SensitivityResult> {
  const threads = opts.threads ?? 2;
  const metric = opts.error ?? relativeL2;
  const ref = await outputs(reference, feeds, threads);
  const errorOf = async (keep: ReadonlyMap<string, ActivationRange>): Promise<number> => {
    const m = cloneModel(base);
    quantizeQdq(m, keep, opts.qdq);
    return metric(ref, await outputs(m, feeds, threads));
  };
  const names = [...selectActivations(base, opts.qdq.layout ?? 'conv-in')].filter((n) =>
    (candidates.get(n) ?? []).some((c) => c.range.amax > 0),
  );
  const errorWeightsOnly = await errorOf(new Map());
  const chosen = new Map<string, RangeCandidate>();
  const perTensor: SensitivityResult['perTensor'] = [];
  for (const [k, name] of names.entries()) {
    let best: { c: RangeCandidate; e: number } | null = null;
    for (const c of candidates.get(name)!) {
      if (!(c.range.amax > 0)) continue;
      const e = await errorOf(new Map([[name, c.range]]));
      if (!best || e < best.e) best = { c, e };
    }
    chosen.set(name, best!.c);
    perTensor.push({ name, error: best!.e, method: best!.c.method });
    opts.onProgress?.('sensitivity', k + 1, names.length);
  }
  perTensor.sort((a, b) => b.error - a.error || (a.name < b.name ? -1 : 1));
  const without = (n: number): Map<string, ActivationRange> => {
    const drop = new Set(perTensor.slice(0, n).map((p) => p.name));
    return new Map([...chosen].filter(([name]) => !drop.has(name)).map(([name, c]) => [name, c.range]));
  };
  const errorAll = await errorOf(without(0));
  const limit = Math.floor(names.length * (opts.maxExcludedFraction ?? 0.25));
  const decision = await chooseFloatCount(
    async (n) => {
      const e = await errorOf(without(n));
      opts.onProgress?.('mixed precision', n, limit);
      return e;
    },
    errorAll,
    limit,
    opts.target,
    opts.minGain ?? 0.1,
  );
  return {
    perTensor,
    chosen,
    excluded: perTensor.slice(0, decision.n).map((p) => p.name),
    errorWeightsOnly,
    errorAll,
    errorFinal: decision.error,
    steps: decision.steps,
  };
}

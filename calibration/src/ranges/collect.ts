/**
 * Range collection: run the FP32 model with every activation exposed as a graph
 * output over the calibration samples, in two passes (min/max, then |x|
 * histograms over [0, absmax] so that every sample shares one bin layout).
 */
import { activationCandidates, exposeTensors, realInputs } from '../onnx/graph.js';
import { cloneModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { accumulate, emptyHistogram, type MinMax, updateMinMax } from './histogram.js';
import type { TensorStats } from './calibrators.js';
import { createSession, runFloat, type FloatTensor } from '../ort.js';

export interface CollectOptions {
  threads?: number;
  bins?: number;
  /** Called after every run: (pass 1|2, sample index, sample count). */
  onProgress?: (pass: number, done: number, total: number) => void;
}

/** A source of input feeds; called once per pass so samples can be streamed from disk. */
export type SampleSource = () => Iterable<Record<string, FloatTensor>>;

export async function collectRanges(
  model: ModelProto,
  samples: SampleSource,
  count: number,
  opts: CollectOptions = {},
): Promise<Map<string, TensorStats>> {
  const probe = cloneModel(model);
  const names = activationCandidates(probe);
  exposeTensors(probe, names);
  const session = await createSession(encodeModel(probe), { threads: opts.threads ?? 2 });
  const inputNames = new Set(realInputs(model).map((i) => i.name ?? ''));
  const ranges = new Map<string, MinMax>();
  try {
    let k = 0;
    for (const feeds of samples()) {
      const out = await runFloat(session, feeds);
      for (const name of inputNames) if (feeds[name]) out[name] = feeds[name]!;
      for (const [name, t] of Object.entries(out)) {
        let r = ranges.get(name);
        if (!r) ranges.set(name, (r = { min: Infinity, max: -Infinity }));
        updateMinMax(r, t.data);
      }
      opts.onProgress?.(1, ++k, count);
    }
    const stats = new Map<string, TensorStats>();
    for (const [name, r] of ranges)
      stats.set(name, { minmax: r, hist: emptyHistogram(Math.max(Math.abs(r.min), Math.abs(r.max)), opts.bins ?? 2048) });
    k = 0;
    for (const feeds of samples()) {
      const out = await runFloat(session, feeds);
      for (const name of inputNames) if (feeds[name]) out[name] = feeds[name]!;
      for (const [name, t] of Object.entries(out)) {
        const s = stats.get(name);
        if (s) accumulate(s.hist, t.data);
      }
      opts.onProgress?.(2, ++k, count);
    }
    return stats;
  } finally {
    await session.release();
  }
}

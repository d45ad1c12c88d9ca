/**
 * Per-channel means (axis 1 of NCHW / NC tensors) of chosen activations over
 * calibration samples: the E[x] that bias correction needs.
 */
import { exposeTensors, realInputs } from '../onnx/graph.js';
import { cloneModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { createSession, runFloat, type FloatTensor } from '../ort.js';
import type { SampleSource } from './collect.js';

/** Adds the channel sums of one tensor into `acc` (pure apart from `acc`); returns the values per channel. */
export function addChannelSums(acc: Float64Array, t: FloatTensor): number {
  const c = t.dims[1] ?? 1;
  const batch = t.dims[0] ?? 1;
  const inner = t.data.length / (batch * c);
  for (let b = 0; b < batch; b++)
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      const base = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) s += t.data[base + i]!;
      acc[ch]! += s;
    }
  return batch * inner;
}

export async function collectChannelMeans(
  model: ModelProto,
  names: readonly string[],
  samples: SampleSource,
  opts: { threads?: number } = {},
): Promise<Map<string, Float64Array>> {
  const inputs = new Set(realInputs(model).map((i) => i.name ?? ''));
  const fetch = names.filter((n) => !inputs.has(n));
  const probe = cloneModel(model);
  exposeTensors(probe, fetch);
  const session = await createSession(encodeModel(probe), { threads: opts.threads ?? 2 });
  const sums = new Map<string, Float64Array>();
  const counts = new Map<string, number>();
  try {
    for (const feeds of samples()) {
      const out = fetch.length > 0 ? await runFloat(session, feeds, fetch) : {};
      for (const name of names) {
        const t = out[name] ?? feeds[name];
        if (!t) continue;
        let acc = sums.get(name);
        if (!acc) sums.set(name, (acc = new Float64Array(t.dims[1] ?? 1)));
        counts.set(name, (counts.get(name) ?? 0) + addChannelSums(acc, t));
      }
    }
  } finally {
    await session.release();
  }
  const means = new Map<string, Float64Array>();
  for (const [name, acc] of sums)
    means.set(
      name,
      acc.map((s) => s / counts.get(name)!),
    );
  return means;
}

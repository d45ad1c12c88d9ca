/**
 * What the in-thread onnxruntime session (./onnxruntime.ts) and the worker
 * one (./ort-worker-session.ts) share: the error class, session options, and
 * the check of inputs against the manifest (done on the calling thread, so a
 * bad input fails the same way in both).
 */
import { GlovesError } from '../errors.js';
import type { ModelManifest } from '../models/manifest.js';
import type { Tensor } from './backend.js';

export class InferenceError extends GlovesError {}

/** Check a tensor against a manifest shape: numbers must match, string dims are free. */
function checkShape(name: string, dims: readonly number[], shape: readonly (number | string)[], data: Float32Array): void {
  const ok = dims.length === shape.length && shape.every((d, i) => typeof d === 'string' || d === dims[i]);
  const count = dims.reduce((a, b) => a * b, 1);
  if (!ok || count !== data.length || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new InferenceError(
      'INFERENCE_FAILED',
      `input ${name} has dims [${dims.join(',')}] (${data.length} values), model expects [${shape.join(',')}]`,
      {
        input: name,
        dims: [...dims],
        shape: [...shape],
      },
    );
  }
}

/** onnxruntime session options: CPU, `threads` intra-op threads, spin-waiting on or off. */
export function ortSessionOptions(threads: number, spinning: boolean) {
  const spin = spinning ? '1' : '0';
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all' as const,
    // session.intra_op.allow_spinning / session.inter_op.allow_spinning (onnxruntime_session_options_config_keys.h).
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

/** The manifest's inputs, checked (missing input, wrong shape): INFERENCE_FAILED. */
export function toFeeds(manifest: ModelManifest, inputs: Record<string, Tensor>): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const spec of manifest.inputs) {
    const t = inputs[spec.name];
    if (!t) throw new InferenceError('INFERENCE_FAILED', `missing input ${spec.name} for ${manifest.name}`, { input: spec.name });
    checkShape(spec.name, t.dims, spec.shape, t.data);
    feeds[spec.name] = t;
  }
  return feeds;
}

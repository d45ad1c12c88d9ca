/**
 * onnxruntime-node sessions for the trainer. The trainer needs arbitrary
 * (exposed intermediate) outputs and raw model bytes, which the daemon's
 * manifest-keyed InferenceBackend contract does not offer, so it talks to
 * onnxruntime directly. Default 2 intra-op threads (the target's core count).
 */
import * as ort from 'onnxruntime-node';
import { TrainerError } from './errors.js';

// No onnxruntime telemetry, as in the daemon (daemon/src/inference/onnxruntime.ts says why).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export type OrtSession = ort.InferenceSession;

export interface OrtOptions {
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export async function createSession(model: Uint8Array | string, opts: OrtOptions = {}): Promise<OrtSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads ?? 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: opts.optimization ?? 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (err) {
    throw new TrainerError('MODEL_LOAD_FAILED', `onnxruntime cannot load the model: ${(err as Error).message}`, {}, { cause: err });
  }
}

export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** Run with float32 inputs; returns only float32 outputs (others, e.g. int64 shapes, are dropped). */
export async function runFloat(
  session: OrtSession,
  inputs: Record<string, FloatTensor>,
  outputs?: readonly string[],
): Promise<Record<string, FloatTensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort.Tensor('float32', v.data, v.dims);
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = outputs ? await session.run(feeds, outputs as string[]) : await session.run(feeds);
  } catch (err) {
    throw new TrainerError('INFERENCE_FAILED', `onnxruntime run failed: ${(err as Error).message}`, {}, { cause: err });
  }
  const out: Record<string, FloatTensor> = {};
  for (const [k, v] of Object.entries(res)) {
    const t = v as ort.Tensor;
    if (t.type === 'float32') out[k] = { dims: [...t.dims], data: t.data as Float32Array };
    t.dispose?.();
  }
  return out;
}

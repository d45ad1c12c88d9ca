/**
 * The inference backend contract. Everything above this interface (detection,
 * embedding, eval, the daemon) is backend-agnostic: it never imports
 * onnxruntime or the native addon directly.
 *
 * Contract:
 * - `load()` verifies nothing about sha256 (the caller does, via models/install.verifyModelFile)
 *   but must throw a GlovesError (code MODEL_LOAD_FAILED) naming the file for a corrupt model.
 * - `run()` takes and returns float32 tensors keyed by the manifest's tensor names.
 *   Inputs must match the manifest's input shape, with the batch dim free where the
 *   manifest says a string (e.g. "N"). Errors: code INFERENCE_FAILED.
 * - `dispose()` is idempotent; `run()` after `dispose()` throws SESSION_DISPOSED.
 */
import type { ModelManifest } from '../models/manifest.js';

export interface Tensor {
  dims: readonly number[];
  data: Float32Array;
}

/** `auto`: TensorRT or onnxruntime chosen per model (./select.ts); its sessions name the one each model got. */
export type BackendName = 'onnxruntime' | 'tensorrt' | 'mock' | 'auto';

export interface SessionOptions {
  /** CPU threads (onnxruntime intra-op). */
  threads?: number;
  /** onnxruntime: idle intra-op threads spin-wait for work (default false). */
  spinning?: boolean;
  /** onnxruntime: the session computes in a worker thread instead of the calling one (./ort-worker-session.ts). */
  worker?: boolean;
  /** TensorRT precision; ignored by onnxruntime. */
  precision?: 'fp32' | 'fp16' | 'int8';
}

export interface InferenceSession {
  readonly backend: BackendName;
  readonly manifest: ModelManifest;
  run(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

export interface InferenceBackend {
  readonly name: BackendName;
  load(manifest: ModelManifest, modelPath: string, opts?: SessionOptions): Promise<InferenceSession>;
}

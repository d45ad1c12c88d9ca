/**
 * onnxruntime-node CPU backend. Loads one model per session; inputs and outputs
 * are float32 tensors keyed by the manifest's tensor names (see ./backend.ts).
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../models/manifest.js';
import type { InferenceBackend, InferenceSession, SessionOptions, Tensor } from './backend.js';
import { InferenceError, ortSessionOptions, toFeeds } from './ort-common.js';
import { OrtWorkerSession, type WorkerCloseOptions } from './ort-worker-session.js';

export { InferenceError } from './ort-common.js';

// onnxruntime >= 1.2x starts a telemetry system when its environment is created (at the first
// session, after this module is loaded) and, for a user whose home it cannot write (a service
// user, `nobody`), prints an ANSI-coloured "Failed to persist telemetry device ID" warning on
// every command. A device daemon sends nothing home: off unless the operator set the variable.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

class OrtSession implements InferenceSession {
  readonly backend = 'onnxruntime' as const;
  private session: ort.InferenceSession | null;

  constructor(
    readonly manifest: ModelManifest,
    session: ort.InferenceSession,
  ) {
    this.session = session;
  }

  async run(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const s = this.session;
    if (!s) throw new InferenceError('SESSION_DISPOSED', `session for ${this.manifest.name} was disposed`, { model: this.manifest.name });
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(toFeeds(this.manifest, inputs))) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await s.run(
        feeds,
        this.manifest.outputs.map((o) => o.name),
      );
    } catch (err) {
      throw new InferenceError(
        'INFERENCE_FAILED',
        `${this.manifest.name}: ${(err as Error).message}`,
        { model: this.manifest.name },
        { cause: err },
      );
    }
    const result: Record<string, Tensor> = {};
    for (const spec of this.manifest.outputs) {
      const v = out[spec.name] as ort.Tensor | undefined;
      if (!v || v.type !== 'float32') {
        throw new InferenceError('INFERENCE_FAILED', `${this.manifest.name} did not return float32 output ${spec.name}`, {
          output: spec.name,
        });
      }
      result[spec.name] = { dims: [...v.dims], data: v.data as Float32Array };
    }
    return result;
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

export function createOnnxRuntimeBackend(defaults: SessionOptions = {}, workerClose: WorkerCloseOptions = {}): InferenceBackend {
  return {
    name: 'onnxruntime',
    async load(manifest, modelPath, opts = {}) {
      if (!existsSync(modelPath)) {
        throw new InferenceError('MODEL_LOAD_FAILED', `model file ${modelPath} does not exist`, { file: modelPath, model: manifest.name });
      }
      const threads = opts.threads ?? defaults.threads ?? 2;
      const spinning = opts.spinning ?? defaults.spinning ?? false;
      if (opts.worker ?? defaults.worker) return OrtWorkerSession.load(manifest, modelPath, threads, spinning, workerClose);
      try {
        const session = await ort.InferenceSession.create(modelPath, ortSessionOptions(threads, spinning));
        return new OrtSession(manifest, session);
      } catch (err) {
        throw new InferenceError(
          'MODEL_LOAD_FAILED',
          `cannot load model ${modelPath}: ${(err as Error).message}`,
          { file: modelPath, model: manifest.name },
          { cause: err },
        );
      }
    },
  };
}

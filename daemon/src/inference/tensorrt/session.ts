/**
 * An InferenceSession over one TensorRT engine (native addon or mock). Runs are
 * serialised (one context, one set of buffers). A batch larger than the engine's
 * profile (maxBatch) is split into chunks of at most maxBatch along the free batch
 * dimension and the outputs are joined again, so callers see onnxruntime's
 * "any batch size" contract.
 */
import { GlovesError, type ErrorCode } from '../../errors.js';
import type { ModelManifest } from '../../models/manifest.js';
import { fromNative, type NativeEngine, type NativeTensor } from '../../native/addon.js';
import type { InferenceSession, Tensor } from '../backend.js';

const fail = (code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): GlovesError =>
  new GlovesError(code, message, details, cause === undefined ? undefined : { cause });

const batched = (shape: readonly (number | string)[]): boolean => typeof shape[0] === 'string';

function checkInput(m: ModelManifest, name: string, t: Tensor | undefined): void {
  const spec = m.inputs.find((i) => i.name === name)!;
  if (!t) throw fail('INFERENCE_FAILED', `missing input ${name} for ${m.name}`, { input: name });
  const ok = t.dims.length === spec.shape.length && spec.shape.every((d, i) => typeof d === 'string' || d === t.dims[i]);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (!ok || count !== t.data.length || t.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw fail(
      'INFERENCE_FAILED',
      `input ${name} has dims [${t.dims.join(',')}] (${t.data.length} values), engine expects [${spec.shape.join(',')}]`,
      {
        input: name,
        dims: [...t.dims],
      },
    );
  }
}

/** The batch size shared by every input with a free batch dimension (1 when there is none). */
function batchOf(m: ModelManifest, inputs: Record<string, Tensor>): number {
  const sizes = new Set(m.inputs.filter((s) => batched(s.shape)).map((s) => inputs[s.name]!.dims[0]!));
  if (sizes.size > 1)
    throw fail('INFERENCE_FAILED', `${m.name}: inputs disagree on the batch size: ${[...sizes].join(', ')}`, { model: m.name });
  return sizes.size === 0 ? 1 : [...sizes][0]!;
}

function slice(t: Tensor, start: number, end: number): Tensor {
  const per = t.data.length / t.dims[0]!;
  return { dims: [end - start, ...t.dims.slice(1)], data: t.data.subarray(start * per, end * per) };
}

function concat(parts: Tensor[]): Tensor {
  const total = parts.reduce((a, p) => a + p.data.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { dims: [parts.reduce((a, p) => a + p.dims[0]!, 0), ...parts[0]!.dims.slice(1)], data };
}

export class TrtSession implements InferenceSession {
  readonly backend = 'tensorrt' as const;
  private engine: NativeEngine | null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Engine runs made (a chunked batch counts one per chunk). */
  runs = 0;

  constructor(
    readonly manifest: ModelManifest,
    engine: NativeEngine,
    private readonly maxBatch: number,
  ) {
    this.engine = engine;
  }

  run(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    // The engine has one context and one set of buffers: runs are serialised.
    const next = this.queue.then(() => this.runNow(inputs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const m = this.manifest;
    if (!this.engine) throw fail('SESSION_DISPOSED', `session for ${m.name} was disposed`, { model: m.name });
    for (const spec of m.inputs) checkInput(m, spec.name, inputs[spec.name]);
    const n = batchOf(m, inputs);
    if (n <= this.maxBatch) return this.runChunk(inputs);
    if (!m.outputs.every((o) => batched(o.shape))) {
      throw fail(
        'INFERENCE_FAILED',
        `${m.name}: batch ${n} is over the engine's ${this.maxBatch} and an output has no batch dimension to join chunks on`,
        { model: m.name },
      );
    }
    const parts: Record<string, Tensor>[] = [];
    for (let start = 0; start < n; start += this.maxBatch) {
      const end = Math.min(n, start + this.maxBatch);
      const chunk: Record<string, Tensor> = {};
      for (const s of m.inputs) chunk[s.name] = batched(s.shape) ? slice(inputs[s.name]!, start, end) : inputs[s.name]!;
      parts.push(await this.runChunk(chunk));
    }
    const result: Record<string, Tensor> = {};
    for (const o of m.outputs) result[o.name] = concat(parts.map((p) => p[o.name]!));
    return result;
  }

  private async runChunk(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const m = this.manifest;
    const engine = this.engine;
    if (!engine) throw fail('SESSION_DISPOSED', `session for ${m.name} was disposed`, { model: m.name });
    let out: NativeTensor[];
    try {
      this.runs++;
      out = await engine.run(m.inputs.map((s) => ({ name: s.name, dims: [...inputs[s.name]!.dims], data: inputs[s.name]!.data })));
    } catch (err) {
      const e = fromNative(err);
      throw fail('INFERENCE_FAILED', `${m.name}: ${e.message}`, { model: m.name, nativeCode: e.code }, err);
    }
    const result: Record<string, Tensor> = {};
    for (const spec of m.outputs) {
      const o = out.find((t) => t.name === spec.name);
      if (!o) throw fail('INFERENCE_FAILED', `${m.name}: engine did not return output ${spec.name}`, { output: spec.name });
      result[spec.name] = { dims: o.dims, data: o.data };
    }
    return result;
  }

  async dispose(): Promise<void> {
    const e = this.engine;
    this.engine = null;
    await this.queue;
    e?.dispose();
  }
}

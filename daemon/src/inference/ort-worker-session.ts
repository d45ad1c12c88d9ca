/**
 * An onnxruntime session that computes in a worker thread: the same contract
 * as the in-thread session (./backend.ts, ./onnxruntime.ts), the same errors
 * (MODEL_LOAD_FAILED naming the file, INFERENCE_FAILED naming the model,
 * SESSION_DISPOSED), but run() leaves the calling thread free.
 *
 * Why: onnxruntime-node's run() computes on the thread that calls it, so two
 * models in one thread never overlap. With the detector in a worker, the
 * daemon detects frame N+1 while the main thread embeds, matches and tracks
 * frame N (runtime/camera-pipeline.ts). bench/overlap.ts measured 1.49x on
 * 2 cores with every crop embedded.
 *
 * The worker is plain JavaScript evaluated from a string (a worker does not
 * inherit the tsx loader the tests run under, and dist/ has no .ts), and loads
 * onnxruntime-node from the path this module resolves. Inputs are copied to
 * the worker (callers may reuse their buffers); outputs are transferred back.
 * The worker holds the event loop open only while a run is pending, and
 * dispose() ends it: a disposed session leaves no thread behind.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from '../models/manifest.js';
import type { InferenceSession, Tensor } from './backend.js';
import { InferenceError, ortSessionOptions, toFeeds } from './ort-common.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
const ort = require(workerData.ortPath);
const message = (err) => (err && err.message) || String(err);
const ready = ort.InferenceSession.create(workerData.file, workerData.options);
ready.then(
  () => parentPort.postMessage({ type: 'ready' }),
  (err) => parentPort.postMessage({ type: 'load-error', message: message(err) }),
);
// One message at a time: a close must not release the session under a run still in progress
// (that aborted the process: a Napi::Error thrown in onnxruntime's teardown).
let queue = Promise.resolve();
parentPort.on('message', (m) => {
  queue = queue.then(() => handle(m));
});
async function handle(m) {
  const session = await ready.catch(() => null);
  if (m.type === 'close') {
    if (session) await session.release().catch(() => undefined);
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
    return;
  }
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const out = await session.run(feeds, m.outputs);
    const result = {};
    const transfer = [];
    for (const name of m.outputs) {
      const v = out[name];
      if (!v || v.type !== 'float32') throw new Error('did not return float32 output ' + name);
      result[name] = { dims: [...v.dims], data: v.data };
      transfer.push(v.data.buffer);
    }
    parentPort.postMessage({ type: 'result', id: m.id, result }, transfer);
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: m.id, message: message(err) });
  }
}
`;

type FromWorker =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'closed' }
  | { type: 'result'; id: number; result: Record<string, Tensor> }
  | { type: 'error'; id: number; message: string };

interface Pending {
  resolve: (r: Record<string, Tensor>) => void;
  reject: (e: Error) => void;
}

/**
 * How long dispose() waits for the worker to release its session before it terminates it: closeMs
 * when no run is in flight, runMs when one is (the worker closes only after it; terminating it while
 * onnxruntime is inside run() aborts the process, as releasing the session under a run did).
 */
export interface WorkerCloseOptions {
  closeMs?: number;
  runMs?: number;
  /** Warned when dispose() falls back to terminate(). */
  log?: Logger;
}
const CLOSE_TIMEOUT_MS = 2_000;
const RUN_CLOSE_TIMEOUT_MS = 60_000;

export class OrtWorkerSession implements InferenceSession {
  readonly backend = 'onnxruntime' as const;
  private worker: Worker | null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Why the worker can no longer run anything (it died, or was disposed). */
  private dead: InferenceError | null = null;
  private closed: (() => void) | null = null;
  /** Runs posted to the worker that it has not answered yet (still tracked after dispose() rejected them). */
  private readonly inFlight = new Set<number>();

  private constructor(
    readonly manifest: ModelManifest,
    worker: Worker,
    private readonly close: WorkerCloseOptions,
  ) {
    this.worker = worker;
  }

  /** Starts the worker and loads the model in it; rejects with MODEL_LOAD_FAILED as the in-thread load does. */
  static async load(
    manifest: ModelManifest,
    modelPath: string,
    threads: number,
    spinning: boolean,
    close: WorkerCloseOptions = {},
  ): Promise<OrtWorkerSession> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ortPath: createRequire(import.meta.url).resolve('onnxruntime-node'),
        file: modelPath,
        options: ortSessionOptions(threads, spinning),
      },
    });
    const loadFailed = (message: string): InferenceError =>
      new InferenceError('MODEL_LOAD_FAILED', `cannot load model ${modelPath}: ${message}`, { file: modelPath, model: manifest.name });
    const listeners: { message?: (m: FromWorker) => void; error?: (e: Error) => void; exit?: (code: number) => void } = {};
    try {
      await new Promise<void>((resolve, reject) => {
        listeners.message = (m) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'load-error') reject(loadFailed(m.message));
        };
        listeners.error = (err) => reject(loadFailed(err.message));
        listeners.exit = (code) => reject(loadFailed(`the inference worker exited (${code})`));
        worker.on('message', listeners.message).on('error', listeners.error).on('exit', listeners.exit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    } finally {
      // Only these: Worker keeps listeners of its own (its port's ref counting hangs on them).
      worker.off('message', listeners.message!).off('error', listeners.error!).off('exit', listeners.exit!);
    }
    const s = new OrtWorkerSession(manifest, worker, close);
    worker.on('message', (m: FromWorker) => s.onMessage(m));
    worker.on('error', (err) => s.onDeath(`the inference worker failed: ${err.message}`));
    worker.on('exit', (code) => s.onDeath(`the inference worker exited (${code})`));
    worker.unref();
    return s;
  }

  run(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const name = this.manifest.name;
    if (!this.worker) return Promise.reject(new InferenceError('SESSION_DISPOSED', `session for ${name} was disposed`, { model: name }));
    if (this.dead) return Promise.reject(this.dead);
    let feeds: Record<string, Tensor>;
    try {
      feeds = toFeeds(this.manifest, inputs);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const id = this.nextId++;
    const worker = this.worker;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.inFlight.add(id);
      worker.postMessage({
        type: 'run',
        id,
        feeds: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dims: [...t.dims], data: t.data }])),
        outputs: this.manifest.outputs.map((o) => o.name),
      });
    });
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.failAll(new InferenceError('SESSION_DISPOSED', `session for ${this.manifest.name} was disposed`, { model: this.manifest.name }));
    if (!this.dead) {
      worker.ref();
      let isClosed = false;
      const closed = new Promise<void>((resolve) => (this.closed = resolve)).then(() => (isClosed = true));
      worker.postMessage({ type: 'close' });
      const running = this.inFlight.size;
      const timeoutMs = running > 0 ? (this.close.runMs ?? RUN_CLOSE_TIMEOUT_MS) : (this.close.closeMs ?? CLOSE_TIMEOUT_MS);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      if (!isClosed) {
        this.close.log?.warn(`the ${this.manifest.name} inference worker did not close within ${timeoutMs} ms: terminating it`, {
          model: this.manifest.name,
          runsInFlight: running,
        });
      }
    }
    this.dead ??= new InferenceError('SESSION_DISPOSED', `session for ${this.manifest.name} was disposed`, { model: this.manifest.name });
    await worker.terminate();
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'closed') return this.closed?.();
    if (m.type !== 'result' && m.type !== 'error') return;
    this.inFlight.delete(m.id);
    const p = this.pending.get(m.id);
    if (!p) return;
    this.settled(m.id);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(new InferenceError('INFERENCE_FAILED', `${this.manifest.name}: ${m.message}`, { model: this.manifest.name }));
  }

  /** The worker ended by itself (a crash, an uncaught error): every run, pending or later, fails. */
  private onDeath(reason: string): void {
    this.closed?.();
    if (this.dead || !this.worker) return;
    this.dead = new InferenceError('INFERENCE_FAILED', `${this.manifest.name}: ${reason}`, { model: this.manifest.name });
    this.failAll(this.dead);
  }

  private failAll(err: InferenceError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.worker?.unref();
    for (const p of all) p.reject(err);
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
  }
}

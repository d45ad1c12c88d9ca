/**
 * TensorRT inference backend over the native addon (or its mock): builds an
 * engine from the ONNX model on first use, caches it under a key that ties it
 * to model, TensorRT version, GPU, precision, DLA core and input shapes, and
 * runs it asynchronously. Same contract as ./backend.ts (see the onnxruntime
 * backend): MODEL_LOAD_FAILED, INFERENCE_FAILED, SESSION_DISPOSED.
 *
 * Cache policy: an engine file is used only when its key matches; one that
 * fails to deserialise is deleted and rebuilt. Files are written atomically.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from '../models/manifest.js';
import { sha256File } from '../models/install.js';
import { fromNative, type NativeAddon, type NativeEngine, type Precision } from '../native/addon.js';
import { modelHasQdq } from '../native/onnx-qdq.js';
import { engineFileName, keyInputs, planBuild, profilesFor, type EngineKeyParts } from '../native/trt-policy.js';
import type { InferenceBackend, InferenceSession, SessionOptions, Tensor } from './backend.js';

export interface TensorRtOptions {
  addon: NativeAddon;
  logger: Logger;
  /** Directory of cached engines. */
  engineCacheDir: string;
  precision?: Precision;
  /** DLA core to use, or null for the GPU. */
  dlaCore?: number | null;
  /** Largest batch for inputs with a free batch dimension. */
  maxBatch?: number;
  workspaceMiB?: number;
  /** Directory holding `<manifest name>.calib` INT8 calibration caches. */
  calibrationDir?: string | null;
}

const fail = (code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): GlovesError =>
  new GlovesError(code, message, details, cause === undefined ? undefined : { cause });

function checkInput(m: ModelManifest, name: string, t: Tensor | undefined, maxBatch: number): void {
  const spec = m.inputs.find((i) => i.name === name)!;
  if (!t) throw fail('INFERENCE_FAILED', `missing input ${name} for ${m.name}`, { input: name });
  const ok = t.dims.length === spec.shape.length && spec.shape.every((d, i) => (typeof d === 'string' ? t.dims[i]! <= maxBatch : d === t.dims[i]));
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (!ok || count !== t.data.length || t.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw fail('INFERENCE_FAILED', `input ${name} has dims [${t.dims.join(',')}] (${t.data.length} values), engine expects [${spec.shape.join(',')}] (batch <= ${maxBatch})`, {
      input: name,
      dims: [...t.dims],
    });
  }
}

class TrtSession implements InferenceSession {
  readonly backend = 'tensorrt' as const;
  private engine: NativeEngine | null;
  private queue: Promise<unknown> = Promise.resolve();

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
    const engine = this.engine;
    if (!engine) throw fail('SESSION_DISPOSED', `session for ${m.name} was disposed`, { model: m.name });
    for (const spec of m.inputs) checkInput(m, spec.name, inputs[spec.name], this.maxBatch);
    let out;
    try {
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

export function createTensorRtBackend(opts: TensorRtOptions): InferenceBackend {
  const { addon, logger } = opts;
  return {
    name: 'tensorrt',
    async load(manifest: ModelManifest, modelPath: string, sessionOpts: SessionOptions = {}): Promise<InferenceSession> {
      const info = addon.info();
      if (!info.hasTensorRT || !addon.buildEngine || !addon.loadEngine) {
        throw fail('BACKEND_UNAVAILABLE', 'the native addon was built without TensorRT', { backend: 'tensorrt' });
      }
      if (!info.computeCapability || !info.tensorrtVersion) throw fail('BACKEND_UNAVAILABLE', 'TensorRT is built in but no CUDA device is visible', { backend: 'tensorrt' });
      if (!existsSync(modelPath)) throw fail('MODEL_LOAD_FAILED', `model file ${modelPath} does not exist`, { file: modelPath, model: manifest.name });
      const maxBatch = opts.maxBatch ?? 8;
      let hasQdq: boolean;
      try {
        hasQdq = modelHasQdq(modelPath);
      } catch (err) {
        throw fail('MODEL_LOAD_FAILED', `cannot load model ${modelPath}: ${(err as Error).message}`, { file: modelPath, model: manifest.name }, err);
      }
      const calibFile = opts.calibrationDir ? join(opts.calibrationDir, `${manifest.name}.calib`) : null;
      const calibText = calibFile && existsSync(calibFile) ? readFileSync(calibFile, 'latin1') : null;
      const plan = planBuild(info, { requested: sessionOpts.precision ?? opts.precision ?? 'fp16', dlaCore: opts.dlaCore ?? null, modelHasQdq: hasQdq, calibrationCache: calibText });
      for (const w of plan.warnings) logger.warn(`${manifest.name}: ${w}`);
      const profiles = profilesFor(manifest, maxBatch);
      const useCache = plan.int8Mode === 'calibration-cache' && calibText !== null;
      const parts: EngineKeyParts = {
        modelSha256: sha256File(modelPath),
        tensorrtVersion: info.tensorrtVersion,
        computeCapability: info.computeCapability,
        precision: plan.precision,
        int8Mode: plan.int8Mode,
        dlaCore: plan.dlaCore,
        inputs: keyInputs(manifest, profiles),
        calibrationSha256: useCache ? createHash('sha256').update(calibText!, 'latin1').digest('hex') : null,
      };
      mkdirSync(opts.engineCacheDir, { recursive: true });
      const file = join(opts.engineCacheDir, engineFileName(manifest.name, parts));
      let engine: NativeEngine | null = null;
      if (existsSync(file)) {
        try {
          engine = await addon.loadEngine(readFileSync(file), plan.dlaCore);
          logger.info(`${manifest.name}: loaded cached engine`, { file });
        } catch (err) {
          logger.warn(`${manifest.name}: cached engine unusable, rebuilding`, { file, code: fromNative(err).code });
          rmSync(file, { force: true });
        }
      }
      if (!engine) {
        logger.info(`${manifest.name}: building TensorRT engine`, { precision: plan.precision, int8Mode: plan.int8Mode, dlaCore: plan.dlaCore });
        let built;
        try {
          built = await addon.buildEngine({
            onnxPath: modelPath,
            precision: plan.precision,
            int8Mode: plan.int8Mode,
            ...(useCache ? { calibrationCache: Buffer.from(calibText!, 'latin1') } : {}),
            dlaCore: plan.dlaCore,
            workspaceBytes: (opts.workspaceMiB ?? 256) * 2 ** 20,
            profiles,
          });
        } catch (err) {
          const e = fromNative(err);
          throw fail('MODEL_LOAD_FAILED', `cannot build a TensorRT engine from ${modelPath}: ${e.message}`, { file: modelPath, model: manifest.name, nativeCode: e.code }, err);
        }
        for (const line of built.log) logger.debug(`${manifest.name}: ${line}`);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, built.engine);
        renameSync(tmp, file);
        try {
          engine = await addon.loadEngine(built.engine, plan.dlaCore);
        } catch (err) {
          throw fail('MODEL_LOAD_FAILED', `cannot load the engine just built for ${manifest.name}`, { file, nativeCode: fromNative(err).code }, err);
        }
      }
      return new TrtSession(manifest, engine, maxBatch);
    },
  };
}

export type BackendChoice = { name: 'tensorrt'; addon: NativeAddon; reason: string } | { name: 'onnxruntime'; reason: string };

/**
 * inference.backend policy: `auto` picks TensorRT when the addon was built with it and
 * sees a CUDA device, else onnxruntime; `tensorrt` without it is BACKEND_UNAVAILABLE.
 */
export function chooseBackend(requested: 'auto' | 'tensorrt' | 'onnxruntime', addon: NativeAddon | null): BackendChoice {
  if (requested === 'onnxruntime') return { name: 'onnxruntime', reason: 'configured' };
  const info = addon?.info();
  const why = !addon ? 'the native addon is not built' : !info?.hasTensorRT ? 'the native addon was built without TensorRT' : !info.computeCapability ? 'no CUDA device is visible' : null;
  if (!why) return { name: 'tensorrt', addon: addon!, reason: `TensorRT ${info!.tensorrtVersion} on sm_${info!.computeCapability!.replace('.', '')}` };
  if (requested === 'tensorrt') throw fail('BACKEND_UNAVAILABLE', `inference.backend is tensorrt, but ${why}`, { backend: 'tensorrt' });
  return { name: 'onnxruntime', reason: why };
}

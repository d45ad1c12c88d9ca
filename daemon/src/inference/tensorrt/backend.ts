/**
 * TensorRT inference backend over the native addon (or its mock): builds an
 * engine from the ONNX model on first use, caches it under a key that ties it
 * to model, TensorRT version, GPU (compute capability, name, SM count),
 * precision, DLA core and input shapes, and runs it asynchronously. Same
 * contract as ./backend.ts (see the onnxruntime backend): MODEL_LOAD_FAILED,
 * INFERENCE_FAILED, SESSION_DISPOSED; and TRT_UNSUPPORTED_MODEL for a model
 * TensorRT cannot take (QOperator int8; Q/DQ on a GPU without INT8), checked
 * before any build.
 *
 * Builds take minutes on a Jetson: while one runs, `onBuildProgress` is called
 * at once and then every `heartbeatMs` (the daemon turns that into systemd
 * EXTEND_TIMEOUT_USEC + STATUS). A timing cache is kept beside the engines.
 * When TensorRT refuses a calibration cache (TRT_CALIBRATION_CACHE_REJECTED)
 * the model is rebuilt at FP16 with a warning. Cache errors: ./engine-cache.ts.
 */
import type { BuildHeartbeat } from '../../systemd/notify.js';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GlovesError, type ErrorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { ModelManifest } from '../../models/manifest.js';
import { sha256File } from '../../models/install.js';
import { fromNative, type NativeAddon, type NativeEngine, type NativeInfo, type Precision } from '../../native/addon.js';
import { classifyOnnxModel } from './onnx-qdq.js';
import {
  clampCalibrationScales,
  engineFileName,
  fallbackFromCalibration,
  keyInputs,
  modelSupport,
  planBuild,
  profilesFor,
  type BuildPlan,
  type EngineKeyParts,
} from './policy.js';
import type { InferenceBackend, InferenceSession, SessionOptions } from '../backend.js';
import { EngineCache, timingCacheFileName } from './engine-cache.js';
import { TrtSession } from './session.js';

/** What a heartbeat during an engine build reports (the systemd notifier turns it into STATUS and EXTEND_TIMEOUT_USEC). */
export type BuildProgressEvent = BuildHeartbeat;

export interface BuildHooks {
  /** Called when a build starts, every heartbeatMs while it runs, and once when it ends (done). */
  onBuildProgress?: (p: BuildProgressEvent) => void;
  /** Default 10 s. */
  heartbeatMs?: number;
}

export interface TensorRtOptions extends BuildHooks {
  addon: NativeAddon;
  logger: Logger;
  /** Directory of cached engines. */
  engineCacheDir: string;
  precision?: Precision;
  /** DLA core to use, or null for the GPU. */
  dlaCore?: number | null;
  /** Largest batch an engine is built for; larger batches run in chunks. */
  maxBatch?: number;
  workspaceMiB?: number;
  /** Directory holding `<manifest name>.calib` INT8 calibration caches. */
  calibrationDir?: string | null;
}

const fail = (code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): GlovesError =>
  new GlovesError(code, message, details, cause === undefined ? undefined : { cause });

const mmss = (ms: number): string => `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}`;

/** Runs `work` while reporting progress: at once, every heartbeatMs, and when it ends. */
async function withHeartbeat<T>(addon: NativeAddon, model: string, hooks: BuildHooks, work: () => Promise<T>): Promise<T> {
  const cb = hooks.onBuildProgress;
  if (!cb) return work();
  const t0 = performance.now();
  const beat = (done = false): void => {
    const p = addon.buildProgress?.().find((b) => b.label === model);
    try {
      cb({
        model,
        elapsedMs: performance.now() - t0,
        ...(p?.phase ? { phase: p.phase, step: p.step, steps: p.steps } : {}),
        ...(done ? { done } : {}),
      });
    } catch {
      // a reporting failure must never fail the build
    }
  };
  beat();
  const timer = setInterval(beat, hooks.heartbeatMs ?? 10_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    beat(true);
  }
}

export function createTensorRtBackend(opts: TensorRtOptions): InferenceBackend {
  const { addon, logger } = opts;
  const cache = new EngineCache(opts.engineCacheDir, logger);

  async function loadOrBuild(
    manifest: ModelManifest,
    modelPath: string,
    info: NativeInfo,
    plan: BuildPlan,
    calibText: string | null,
    maxBatch: number,
  ): Promise<NativeEngine> {
    for (const w of plan.warnings) logger.warn(`${manifest.name}: ${w}`);
    const profiles = profilesFor(manifest, maxBatch);
    const useCache = plan.int8Mode === 'calibration-cache' && calibText !== null;
    const parts: EngineKeyParts = {
      modelSha256: sha256File(modelPath),
      tensorrtVersion: info.tensorrtVersion!,
      computeCapability: info.computeCapability!,
      deviceName: info.deviceName ?? null,
      multiprocessors: info.multiprocessors ?? null,
      precision: plan.precision,
      int8Mode: plan.int8Mode,
      dlaCore: plan.dlaCore,
      inputs: keyInputs(manifest, profiles),
      calibrationSha256: useCache ? createHash('sha256').update(calibText!, 'latin1').digest('hex') : null,
    };
    const name = engineFileName(manifest.name, parts);
    const cached = cache.read(name);
    if (cached) {
      try {
        const engine = await addon.loadEngine!(cached, plan.dlaCore);
        logger.info(`${manifest.name}: loaded cached engine`, { file: cache.path(name) });
        return engine;
      } catch (err) {
        const e = fromNative(err);
        if (e.code !== 'TRT_DESERIALIZE_FAILED') {
          throw fail(
            'MODEL_LOAD_FAILED',
            `cannot load the cached engine for ${manifest.name}: ${e.message}`,
            { file: cache.path(name), model: manifest.name, nativeCode: e.code },
            err,
          );
        }
        logger.warn(`${manifest.name}: TensorRT refused the cached engine, rebuilding`, { file: cache.path(name), code: e.code });
        cache.remove(name);
      }
    }
    const timingName = timingCacheFileName(parts.tensorrtVersion, parts.computeCapability, parts.deviceName, parts.multiprocessors);
    const timing = cache.read(timingName);
    logger.info(`${manifest.name}: building TensorRT engine (minutes on a Jetson Nano)`, {
      precision: plan.precision,
      int8Mode: plan.int8Mode,
      dlaCore: plan.dlaCore,
    });
    const t0 = performance.now();
    let built;
    try {
      built = await withHeartbeat(addon, manifest.name, opts, () =>
        addon.buildEngine!({
          onnxPath: modelPath,
          label: manifest.name,
          precision: plan.precision,
          int8Mode: plan.int8Mode,
          ...(useCache
            ? {
                calibrationCache: Buffer.from(calibText!, 'latin1'),
                calibrationAlgorithm: plan.calibrationAlgorithm ?? 'EntropyCalibration2',
              }
            : {}),
          ...(timing ? { timingCache: timing } : {}),
          dlaCore: plan.dlaCore,
          workspaceBytes: (opts.workspaceMiB ?? 256) * 2 ** 20,
          profiles,
        }),
      );
    } catch (err) {
      const e = fromNative(err);
      for (const line of ((err as { log?: unknown }).log as string[] | undefined) ?? []) logger.debug(`${manifest.name}: TensorRT ${line}`);
      if (e.code === 'TRT_CALIBRATION_CACHE_REJECTED' && plan.int8Mode === 'calibration-cache') {
        return loadOrBuild(manifest, modelPath, info, fallbackFromCalibration(info, { ...plan, warnings: [] }), null, maxBatch);
      }
      throw fail(
        'MODEL_LOAD_FAILED',
        `cannot build a TensorRT engine from ${modelPath}: ${e.message}`,
        { file: modelPath, model: manifest.name, nativeCode: e.code },
        err,
      );
    }
    for (const line of built.log) logger.debug(`${manifest.name}: TensorRT ${line}`);
    logger.info(`${manifest.name}: engine built in ${mmss(performance.now() - t0)}`, { bytes: built.engine.length });
    cache.write(name, built.engine, 'engine');
    if (built.timingCache) cache.write(timingName, built.timingCache, 'timing cache');
    try {
      return await addon.loadEngine!(built.engine, plan.dlaCore);
    } catch (err) {
      const e = fromNative(err);
      throw fail(
        'MODEL_LOAD_FAILED',
        `cannot load the engine just built for ${manifest.name}: ${e.message}`,
        { file: cache.path(name), nativeCode: e.code },
        err,
      );
    }
  }

  return {
    name: 'tensorrt',
    async load(manifest: ModelManifest, modelPath: string, sessionOpts: SessionOptions = {}): Promise<InferenceSession> {
      const info = addon.info();
      if (!info.hasTensorRT || !addon.buildEngine || !addon.loadEngine) {
        throw fail('BACKEND_UNAVAILABLE', 'the native addon was built without TensorRT', { backend: 'tensorrt' });
      }
      if (!info.computeCapability || !info.tensorrtVersion)
        throw fail('BACKEND_UNAVAILABLE', 'TensorRT is built in but no CUDA device is visible', { backend: 'tensorrt' });
      if (!existsSync(modelPath))
        throw fail('MODEL_LOAD_FAILED', `model file ${modelPath} does not exist`, { file: modelPath, model: manifest.name });
      const maxBatch = opts.maxBatch ?? 8;
      const kind = classifyOnnxModel(modelPath); // MODEL_LOAD_FAILED when not ONNX
      const support = modelSupport(info, kind);
      if (!support.ok)
        throw fail('TRT_UNSUPPORTED_MODEL', `${manifest.name}: ${support.reason}`, {
          file: modelPath,
          model: manifest.name,
          kind: kind.kind,
        });
      const calibFile = opts.calibrationDir ? join(opts.calibrationDir, `${manifest.name}.calib`) : null;
      let calibText = calibFile && existsSync(calibFile) ? readFileSync(calibFile, 'latin1') : null;
      if (calibText !== null) {
        const c = clampCalibrationScales(calibText);
        if (c.clamped.length > 0)
          logger.warn(
            `${manifest.name}: calibration cache has scale 0 for ${c.clamped.length} tensors (${c.clamped.slice(0, 3).join(', ')}): using a tiny positive scale`,
          );
        calibText = c.text;
      }
      const plan = planBuild(info, {
        requested: sessionOpts.precision ?? opts.precision ?? 'fp16',
        dlaCore: opts.dlaCore ?? null,
        modelKind: kind.kind,
        dynamicInputs: manifest.inputs.some((t) => t.shape.some((d) => typeof d === 'string')),
        calibrationCache: calibText,
      });
      const engine = await loadOrBuild(manifest, modelPath, info, plan, calibText, maxBatch);
      return new TrtSession(manifest, engine, maxBatch);
    },
  };
}

export type BackendChoice = { name: 'tensorrt'; addon: NativeAddon; reason: string } | { name: 'onnxruntime'; reason: string };

/** Why TensorRT cannot be used with this addon, or null when it can. */
export function tensorrtUnavailable(addon: NativeAddon | null): string | null {
  const info = addon?.info();
  return !addon
    ? 'the native addon is not built'
    : !info?.hasTensorRT
      ? 'the native addon was built without TensorRT'
      : !info.computeCapability
        ? 'no CUDA device is visible'
        : null;
}

/**
 * inference.backend policy at the addon level: `auto` picks TensorRT when the addon was built with it
 * and sees a CUDA device, else onnxruntime; `tensorrt` without it is BACKEND_UNAVAILABLE. Which models
 * then run on TensorRT is decided per model (./policy.ts chooseModelBackend, ../select.ts).
 */
export function chooseBackend(requested: 'auto' | 'tensorrt' | 'onnxruntime', addon: NativeAddon | null): BackendChoice {
  if (requested === 'onnxruntime') return { name: 'onnxruntime', reason: 'configured' };
  const why = tensorrtUnavailable(addon);
  const info = addon?.info();
  if (!why)
    return {
      name: 'tensorrt',
      addon: addon!,
      reason: `TensorRT ${info!.tensorrtVersion} on sm_${info!.computeCapability!.replace('.', '')}`,
    };
  if (requested === 'tensorrt') throw fail('BACKEND_UNAVAILABLE', `inference.backend is tensorrt, but ${why}`, { backend: 'tensorrt' });
  return { name: 'onnxruntime', reason: why };
}

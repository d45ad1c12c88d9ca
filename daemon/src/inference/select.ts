/**
 * Picks the inference backend from config. Callers above this point only see
 * InferenceBackend. The choice is per model: with `auto` on a TensorRT build, a
 * model TensorRT can take (float; Q/DQ where the GPU has INT8) runs on TensorRT
 * and one it cannot (QOperator int8 such as the shipped MobileNetV2 embedder)
 * on onnxruntime; `tensorrt` refuses the latter (TRT_UNSUPPORTED_MODEL); without
 * TensorRT everything is onnxruntime (policy: ./tensorrt/policy.ts
 * chooseModelBackend). Each model's backend and why is logged at load and
 * reported by `modelBackends` (gloves config check).
 */
import type { InferenceConfig } from './config.js';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from '../models/manifest.js';
import type { InferenceBackend } from './backend.js';
import { createOnnxRuntimeBackend } from './onnxruntime.js';
import { loadNativeAddon, type NativeAddon } from '../native/addon.js';
import { classifyOnnxModel } from './tensorrt/onnx-qdq.js';
import { chooseModelBackend, type ModelBackendChoice } from './tensorrt/policy.js';
import { chooseBackend, createTensorRtBackend, tensorrtUnavailable, type BuildHooks } from './tensorrt/backend.js';

/**
 * Which backend a model file gets under this config (throws what load would:
 * BACKEND_UNAVAILABLE, TRT_UNSUPPORTED_MODEL, MODEL_LOAD_FAILED).
 */
export function modelBackend(config: InferenceConfig, addon: NativeAddon | null, modelPath: string): ModelBackendChoice {
  if (config.backend === 'onnxruntime') return { backend: 'onnxruntime', reason: 'configured' };
  const why = tensorrtUnavailable(addon);
  return chooseModelBackend(config.backend, why ? null : addon!.info(), classifyOnnxModel(modelPath), why ?? undefined);
}

export function createBackend(config: InferenceConfig, log: Logger, hooks: BuildHooks = {}): InferenceBackend {
  const ort = createOnnxRuntimeBackend({ threads: config.threads, spinning: config.spinning }, { log: log.child('onnxruntime') });
  const choice = chooseBackend(config.backend, config.backend === 'onnxruntime' ? null : loadNativeAddon());
  if (choice.name === 'onnxruntime') {
    log.debug(`inference backend: onnxruntime (${choice.reason})`, { threads: config.threads });
    return ort;
  }
  log.info(`inference backend: ${config.backend === 'auto' ? 'per model, ' : ''}tensorrt where the model allows (${choice.reason})`, {
    precision: config.precision,
    dlaCore: config.dlaCore,
  });
  const { engineCacheDir, precision, dlaCore, maxBatch, workspaceMiB, calibrationDir } = config;
  const trt = createTensorRtBackend({
    addon: choice.addon,
    logger: log.child('tensorrt'),
    engineCacheDir,
    precision,
    dlaCore,
    maxBatch,
    workspaceMiB,
    calibrationDir,
    ...hooks,
  });
  return {
    name: config.backend === 'auto' ? 'auto' : 'tensorrt',
    async load(manifest: ModelManifest, modelPath, opts) {
      let pick: ModelBackendChoice;
      try {
        pick = modelBackend(config, choice.addon, modelPath);
      } catch (err) {
        // An unreadable model: let the TensorRT backend report it (MODEL_LOAD_FAILED) as it would.
        if ((err as { code?: string }).code !== 'MODEL_LOAD_FAILED') throw err;
        return trt.load(manifest, modelPath, opts);
      }
      log.info(`${manifest.name}: ${pick.backend} (${pick.reason})`, { model: manifest.name, backend: pick.backend });
      return (pick.backend === 'tensorrt' ? trt : ort).load(manifest, modelPath, opts);
    },
  };
}

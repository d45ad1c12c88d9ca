/**
 * Picks the inference backend from config. Callers above this point only see
 * InferenceBackend; `auto` picks TensorRT when the native addon has it and
 * sees a GPU, else onnxruntime (policy: tensorrt.ts chooseBackend).
 */
import type { GlovesConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { InferenceBackend } from './backend.js';
import { createOnnxRuntimeBackend } from './onnxruntime.js';
import { loadNativeAddon } from '../native/addon.js';
import { chooseBackend, createTensorRtBackend } from './tensorrt.js';

export function createBackend(config: GlovesConfig['inference'], log: Logger): InferenceBackend {
  const choice = chooseBackend(config.backend, config.backend === 'onnxruntime' ? null : loadNativeAddon());
  if (choice.name === 'tensorrt') {
    log.info(`inference backend: tensorrt (${choice.reason})`, { precision: config.precision, dlaCore: config.dlaCore });
    const { engineCacheDir, precision, dlaCore, maxBatch, workspaceMiB, calibrationDir } = config;
    return createTensorRtBackend({ addon: choice.addon, logger: log.child('tensorrt'), engineCacheDir, precision, dlaCore, maxBatch, workspaceMiB, calibrationDir });
  }
  log.debug(`inference backend: onnxruntime (${choice.reason})`, { threads: config.threads });
  return createOnnxRuntimeBackend({ threads: config.threads });
}

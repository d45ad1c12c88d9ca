/**
 * Picks the inference backend from config. Callers above this point only see
 * InferenceBackend; `auto` currently resolves to onnxruntime (the TensorRT
 * branch is added here when the native addon supports it).
 */
import { GlovesError } from '../errors.js';
import type { GlovesConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { InferenceBackend } from './backend.js';
import { createOnnxRuntimeBackend } from './onnxruntime.js';

export function createBackend(config: GlovesConfig['inference'], log: Logger): InferenceBackend {
  if (config.backend === 'tensorrt') {
    throw new GlovesError('BACKEND_UNAVAILABLE', 'inference.backend is tensorrt, but this build has no TensorRT backend', { backend: 'tensorrt' });
  }
  log.debug('inference backend: onnxruntime', { threads: config.threads });
  return createOnnxRuntimeBackend({ threads: config.threads });
}

/**
 * Which backend each configured model gets, without loading anything: for
 * `gloves config check` and `gloves models build-engines`. Same policy as the
 * daemon (./select.ts modelBackend).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelsConfig } from '../models/config.js';
import type { InferenceConfig } from './config.js';
import { GlovesError } from '../errors.js';
import { findManifest, type ModelManifest } from '../models/manifest.js';
import { loadNativeAddon, type NativeAddon } from '../native/addon.js';
import type { ModelBackendChoice } from './tensorrt/policy.js';
import { packageRoot } from '../util/paths.js';
import { isAbsolute } from 'node:path';
import { modelBackend } from './select.js';

export interface PlannedModel {
  task: 'detector' | 'embedder';
  manifest: ModelManifest;
  file: string;
  /** null when the model file is not installed. */
  choice: ModelBackendChoice | null;
}

const packagePath = (p: string): string => (isAbsolute(p) ? p : join(packageRoot(), p));

/** The addon the inference config would use (null for onnxruntime or when not built). */
export function inferenceAddon(config: InferenceConfig): NativeAddon | null {
  return config.backend === 'onnxruntime' ? null : loadNativeAddon();
}

/** Throws what loading would (BACKEND_UNAVAILABLE, TRT_UNSUPPORTED_MODEL) for a model that is installed. */
export function planModels(
  config: { models: ModelsConfig; inference: InferenceConfig },
  addon: NativeAddon | null = inferenceAddon(config.inference),
): PlannedModel[] {
  const manifestDir = packagePath(config.models.manifestDir);
  const modelsDir = packagePath(config.models.dir);
  return (['detector', 'embedder'] as const).map((task) => {
    const manifest = findManifest(manifestDir, config.models[task]);
    const file = join(modelsDir, manifest.file);
    return { task, manifest, file, choice: existsSync(file) ? modelBackend(config.inference, addon, file) : null };
  });
}

/** "detector yolox_nano_416_coco: tensorrt (float model, TensorRT 10.3.0 on sm_87)" */
export function describePlanned(p: PlannedModel): string {
  const what = p.choice ? `${p.choice.backend} (${p.choice.reason})` : `not installed (${p.file}): run \`gloves models install\``;
  return `${p.task} ${p.manifest.name}: ${what}`;
}

export function assertInstalled(p: PlannedModel): ModelBackendChoice {
  if (!p.choice)
    throw new GlovesError('MODEL_NOT_FOUND', `model file ${p.file} for ${p.manifest.name} is missing: run \`gloves models install\``, {
      file: p.file,
      model: p.manifest.name,
    });
  return p.choice;
}

/**
 * The recognition core's public surface. The daemon calls
 *   detector.detect(frame) -> embedder.embed(frame, boxes) -> matcher.match(embedding);
 * the trainer reuses the pure pre/post-processing and evaluateDataset().
 *
 * Factories take explicit dependencies; openRecognizer() is the convenience that
 * wires them from config (verifying each model's sha256 first).
 */
import type { GlovesConfig } from '../config/schema.js';
import type { InferenceBackend } from '../inference/backend.js';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from '../models/manifest.js';
import { embedderModelId, type RegionEmbedder } from './embedder.js';
import { loadModels, packagePath } from './load.js';
import { openGallery, type Gallery, type OpenGalleryOptions } from './gallery.js';
import { createMatcher, type GalleryMatcher } from './matcher.js';
import { loadStats, type PopulationStats } from './stats.js';
import type { Detector } from './types.js';

export type * from './types.js';
export { nms, iou } from './nms.js';
export { decodeYolox } from './yolox.js';
export { createDetector, postprocessDetections, inputSize, type DetectionOptions } from './detector.js';
export { createEmbedder, embedderModelId, l2normalize, type RegionEmbedder, type EmbedderOptions } from './embedder.js';
export { cropRegion, clipBox, extractRegion } from './crop.js';
export { openGallery, GalleryError, type Gallery, type GalleryPet, type GalleryPhoto, type GalleryView, type NewPhoto } from './gallery.js';
export { createMatcher, decisionRule, type GalleryMatcher, type MatchingConfig, type DecisionRule } from './matcher.js';
export { loadStats, applyTransform, type PopulationStats } from './stats.js';
export { slugifyPetName, PET_ID_RE } from './pet-id.js';
export { loadModels, packagePath, detectionOptions } from './load.js';
export { evaluateDataset, evaluateEmbedded, summarize, type EvalResult, type QueryOutcome, type EvaluateDatasetOptions } from './evaluate.js';
export { listDataset, embedDataset, enrolmentIndices, type EmbeddedPhoto, type DatasetPet } from './dataset.js';

export interface Recognizer {
  detector: Detector;
  embedder: RegionEmbedder;
  gallery: Gallery;
  matcher: GalleryMatcher;
  stats: PopulationStats | undefined;
  detectorManifest: ModelManifest;
  embedderManifest: ModelManifest;
  dispose(): Promise<void>;
}

export interface OpenRecognizerOptions {
  config: GlovesConfig;
  log: Logger;
  backend: InferenceBackend;
  /** Gallery directory; default config.gallery.dir. */
  galleryDir?: string;
  gallery?: OpenGalleryOptions;
}

export async function openRecognizer(opts: OpenRecognizerOptions): Promise<Recognizer> {
  const { config, log, backend } = opts;
  const models = await loadModels(config, backend, log);
  try {
    const modelId = embedderModelId(models.embedderManifest);
    const stats = config.matching.population ? loadStats(packagePath(config.matching.statsDir), modelId) : undefined;
    if (config.matching.population && !stats) log.warn('no population statistics for this embedder: matching uses raw cosine', { embedder: modelId });
    const gallery = openGallery(opts.galleryDir ?? config.gallery.dir, modelId, log.child('gallery'), opts.gallery);
    const matcher = createMatcher(gallery, config.matching, stats);
    return {
      ...models,
      gallery,
      matcher,
      stats,
      async dispose() {
        await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
      },
    };
  } catch (err) {
    await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
    throw err;
  }
}

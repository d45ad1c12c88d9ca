/**
 * The recognition core's public surface. The daemon calls
 *   detector.detect(frame) -> embedder.embed(frame, boxes) -> matcher.match(embedding);
 * the trainer reuses the pure pre/post-processing and evaluateDataset().
 *
 * Factories take explicit dependencies; openRecognizer() is the convenience that
 * wires them from config (verifying each model's sha256 first).
 */
import { isAbsolute, join } from 'node:path';
import type { GlovesConfig } from '../config/schema.js';
import type { InferenceBackend } from '../inference/backend.js';
import type { Logger } from '../log/logger.js';
import { findManifest, type ModelManifest } from '../models/manifest.js';
import { verifyModelFile } from '../models/install.js';
import { packageRoot } from '../util/paths.js';
import { createDetector, type DetectionOptions } from './detector.js';
import { createEmbedder, embedderModelId, type RegionEmbedder } from './embedder.js';
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

/** Resolve a configured path: absolute as is, relative to the package root. */
export function packagePath(p: string): string {
  return isAbsolute(p) ? p : join(packageRoot(), p);
}

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

export function detectionOptions(config: GlovesConfig): DetectionOptions {
  return { minScore: config.detection.minScore, nmsIou: config.detection.nmsIou, labels: config.detection.labels };
}

/** Load and verify both models for the configured backend. */
export async function loadModels(config: GlovesConfig, backend: InferenceBackend, log: Logger) {
  const manifestDir = packagePath(config.models.manifestDir);
  const modelsDir = packagePath(config.models.dir);
  const dm = findManifest(manifestDir, config.models.detector);
  const em = findManifest(manifestDir, config.models.embedder);
  const dFile = verifyModelFile(dm, modelsDir);
  const eFile = verifyModelFile(em, modelsDir);
  const opts = { threads: config.inference.threads };
  const dSession = await backend.load(dm, dFile, opts);
  let eSession;
  try {
    eSession = await backend.load(em, eFile, opts);
  } catch (err) {
    await dSession.dispose();
    throw err;
  }
  log.debug('models loaded', { detector: dm.name, embedder: em.name, backend: backend.name });
  const detector = createDetector(dm, dSession, detectionOptions(config));
  const embedder = createEmbedder(em, eSession, { cropMargin: config.detection.cropMargin, flip: config.matching.flipTta });
  return { detector, embedder, detectorManifest: dm, embedderManifest: em };
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

/**
 * The recognition core's public surface. The daemon calls
 *   detector.detect(frame) -> embedder.embed(frame, boxes) -> matcher.match(embedding);
 * the trainer reuses the pure pre/post-processing and evaluateDataset().
 *
 * Factories take explicit dependencies; openRecognizer() is the convenience that
 * wires them from config (verifying each model's sha256 first).
 */
import type { RecognitionConfig } from './config.js';
import type { InferenceBackend } from '../inference/backend.js';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from '../models/manifest.js';
import { embedderModelId, type RegionEmbedder } from './embedding/embedder.js';
import { loadModels, packagePath, type ModelFiles } from './load.js';
import { openGallery, type Gallery, type OpenGalleryOptions } from './gallery/gallery.js';
import { createMatcher, type GalleryMatcher } from './matching/matcher.js';
import { loadStats, type PopulationStats } from './matching/stats.js';
import type { LocalBackgroundOptions } from './matching/local-background.js';
import type { Detector } from './types.js';

export type * from './types.js';
export { nms, iou } from '../kernels/nms.js';
export { decodeYolox } from './detection/yolox.js';
export { createDetector, postprocessDetections, inputSize, type DetectionOptions } from './detection/detector.js';
export { createEmbedder, embedderModelId, l2normalize, type RegionEmbedder, type EmbedderOptions } from './embedding/embedder.js';
export { cropRegion, clipBox, extractRegion } from './embedding/crop.js';
export {
  openGallery,
  GalleryError,
  type Gallery,
  type GalleryPet,
  type GalleryPhoto,
  type GalleryView,
  type NewPhoto,
} from './gallery/gallery.js';
export { createMatcher, decisionRule, type GalleryMatcher, type MatchingConfig, type DecisionRule } from './matching/matcher.js';
export type { LocalBackgroundOptions, LocalBackgroundSource } from './matching/local-background.js';
export { loadStats, applyTransform, serializeStats, statsFileName, type PopulationStats } from './matching/stats.js';
export { slugifyPetName, PET_ID_RE } from './gallery/pet-id.js';
export { identifyAnimals, type IdentifiedAnimal } from './identify.js';
export { compareEmbeddings, type Comparison } from './matching/compare.js';
export { enrolPhotos, type EnrolOutcome, type EnrolImage } from './gallery/enroll.js';
export { loadModels, packagePath, detectionOptions, type ModelFile, type ModelFiles } from './load.js';
export { computeReference, checkReference, DEFAULT_TOLERANCE, type ReferenceOutputs, type ReferenceTolerance } from './reference.js';

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
  config: RecognitionConfig;
  log: Logger;
  backend: InferenceBackend;
  /** Gallery directory; default config.gallery.dir. */
  galleryDir?: string;
  gallery?: OpenGalleryOptions;
  /** Models given as files (a bundle's) instead of by the config's names. */
  files?: ModelFiles;
  /** Where the population statistics are (a bundle's); default config.matching.statsDir. */
  statsDir?: string;
  /** Cats known not to be pets on this device (the daemon's frequent visitors), for the matcher. */
  background?: LocalBackgroundOptions;
  /** The detector's session computes in a worker thread (the daemon: inference.detectorWorker). */
  detectorWorker?: boolean;
}

export async function openRecognizer(opts: OpenRecognizerOptions): Promise<Recognizer> {
  const { config, log, backend } = opts;
  const models = await loadModels(config, backend, log, opts.files, { detectorWorker: opts.detectorWorker ?? false });
  try {
    const modelId = embedderModelId(models.embedderManifest);
    const stats = config.matching.population ? loadStats(opts.statsDir ?? packagePath(config.matching.statsDir), modelId) : undefined;
    if (config.matching.population && !stats)
      log.warn('no population statistics for this embedder: matching uses raw cosine', { embedder: modelId });
    const gallery = openGallery(opts.galleryDir ?? config.gallery.dir, modelId, log.child('gallery'), opts.gallery);
    const matcher = createMatcher(gallery, config.matching, stats, opts.background);
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

/** Model loading from config, shared by openRecognizer(), eval and bench. */
import { isAbsolute, join } from 'node:path';
import type { RecognitionConfig } from './config.js';
import type { InferenceBackend } from '../inference/backend.js';
import type { Logger } from '../log/logger.js';
import { findManifest, type ModelManifest } from '../models/manifest.js';
import { verifyModelFile } from '../models/install.js';
import { packageRoot } from '../util/paths.js';
import { createDetector, type DetectionOptions } from './detection/detector.js';
import { createEmbedder } from './embedding/embedder.js';

/** Resolve a configured path: absolute as is, relative to the package root. */
export function packagePath(p: string): string {
  return isAbsolute(p) ? p : join(packageRoot(), p);
}

export function detectionOptions(config: RecognitionConfig): DetectionOptions {
  return {
    minScore: config.detection.minScore,
    nmsIou: config.detection.nmsIou,
    crossClassIou: config.detection.crossClassIou,
    labels: config.detection.labels,
  };
}

/** A model given as its manifest and file (a model bundle's), instead of by name from the config. */
export interface ModelFile {
  manifest: ModelManifest;
  /** The directory `manifest.file` is relative to. */
  dir: string;
}
export type ModelFiles = Partial<Record<'detector' | 'embedder', ModelFile>>;

/**
 * Load and verify both models for the configured backend; `files` replaces the configured detector or embedder.
 * `detectorWorker`: the detector's session computes in a worker thread (the daemon's frame loop overlaps it
 * with the embedder; see inference/ort-worker-session.ts). One-shot commands keep it on their thread.
 */
export async function loadModels(
  config: RecognitionConfig,
  backend: InferenceBackend,
  log: Logger,
  files: ModelFiles = {},
  { detectorWorker = false }: { detectorWorker?: boolean } = {},
) {
  const manifestDir = packagePath(config.models.manifestDir);
  const modelsDir = packagePath(config.models.dir);
  const dm = files.detector?.manifest ?? findManifest(manifestDir, config.models.detector);
  const em = files.embedder?.manifest ?? findManifest(manifestDir, config.models.embedder);
  const dFile = files.detector ? checkedFile(files.detector) : verifyModelFile(dm, modelsDir);
  const eFile = files.embedder ? checkedFile(files.embedder) : verifyModelFile(em, modelsDir);
  const opts = { threads: config.inference.threads };
  const dSession = await backend.load(dm, dFile, { ...opts, worker: detectorWorker });
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

/** A bundle's model file, checked against its manifest's sha256 once more as it is loaded. */
function checkedFile(m: ModelFile): string {
  return verifyModelFile(m.manifest, m.dir);
}

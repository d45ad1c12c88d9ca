/**
 * `gloves-trainer bundle`: a signed bundle from local files. Each model (a manifest, its file beside it or
 * installed) is copied under models/, the optional artefacts under their own folders, and the reference frame
 * under reference/; the reference outputs are computed here with onnxruntime by the daemon's own detector and
 * embedder code (recognition/reference.ts), the same code a device runs to check them.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { configSchema } from '../../../daemon/src/config/schema.js';
import { ModelError } from '../../../daemon/src/errors.js';
import { createOnnxRuntimeBackend } from '../../../daemon/src/inference/onnxruntime.js';
import type { BundleDoc } from '../../../daemon/src/models/bundle.js';
import { findManifest } from '../../../daemon/src/models/manifest.js';
import {
  computeReference,
  createDetector,
  createEmbedder,
  detectionOptions,
  embedderModelId,
  packagePath,
  DEFAULT_TOLERANCE,
  type ReferenceTolerance,
} from '../../../daemon/src/recognition/index.js';
import { decodeImageFile } from '../../../daemon/src/vision/decode.js';
import { resolveModel, type ResolvedModel } from '../models.js';
import { sealBundle, type BundleDraft } from './seal.js';

export interface BuildBundleOptions {
  /** Manifest paths (at most one detector and one embedder). */
  models: string[];
  reference: string;
  out: string;
  key?: KeyObject;
  calibration?: string;
  qdq?: string;
  report?: string;
  stats?: string;
  name?: string;
  source?: BundleDoc['source'];
  tolerance?: Partial<ReferenceTolerance>;
}

function copyInto(out: string, folder: string, file: string): string {
  if (!existsSync(file)) throw new ModelError('MODEL_NOT_FOUND', `${file} does not exist`, { file });
  const rel = `${folder}/${basename(file)}`;
  mkdirSync(join(out, folder), { recursive: true });
  copyFileSync(file, join(out, rel));
  return rel;
}

export async function buildBundle(o: BuildBundleOptions): Promise<BundleDoc> {
  if (existsSync(o.out) && readdirSync(o.out).length > 0)
    throw new ModelError('BUNDLE_INVALID', `${o.out} is not empty: a bundle is written into a new or empty directory`, { out: o.out });
  const resolved: ResolvedModel[] = o.models.map((m) => resolveModel(m));
  const tasks = resolved.map((r) => r.manifest.task);
  if (new Set(tasks).size !== tasks.length) throw new ModelError('BUNDLE_INVALID', 'give at most one detector and one embedder', { tasks });
  mkdirSync(o.out, { recursive: true });
  const files: BundleDraft['files'] = [];
  const models: BundleDoc['models'] = [];
  for (const r of resolved) {
    const manifest = copyInto(o.out, 'models', r.manifestPath);
    files.push({ path: manifest, role: 'manifest' }, { path: copyInto(o.out, 'models', r.file), role: 'model' });
    models.push({ task: r.manifest.task, manifest });
  }
  const optional = (folder: string, role: BundleDraft['files'][number]['role'], file: string | undefined): string | null => {
    if (!file) return null;
    const rel = copyInto(o.out, folder, file);
    files.push({ path: rel, role });
    return rel;
  };
  const calibration = optional('calibration', 'calibration', o.calibration);
  const qdq = optional('qdq', 'qdq', o.qdq);
  const report = optional('report', 'report', o.report);
  const stats = optional('stats', 'stats', o.stats);
  const frame = `reference/frame${extname(o.reference).toLowerCase() || '.jpg'}`;
  mkdirSync(join(o.out, 'reference'), { recursive: true });
  copyFileSync(o.reference, join(o.out, frame));
  files.push({ path: frame, role: 'reference' });

  const det = resolved.find((r) => r.manifest.task === 'detector');
  const emb = resolved.find((r) => r.manifest.task === 'embedder');
  const defaults = configSchema.parse({});
  // A detector-only bundle keeps the device's embedder: it needs the embedder the package ships.
  const embedderId = emb
    ? embedderModelId(emb.manifest)
    : embedderModelId(findManifest(packagePath(defaults.models.manifestDir), defaults.models.embedder));
  const backend = createOnnxRuntimeBackend({ threads: 2 });
  const detOpts = detectionOptions(defaults);
  const detector = det ? createDetector(det.manifest, await backend.load(det.manifest, det.file), detOpts) : undefined;
  const embedder = emb
    ? createEmbedder(emb.manifest, await backend.load(emb.manifest, emb.file), {
        cropMargin: defaults.detection.cropMargin,
        flip: defaults.matching.flipTta,
      })
    : undefined;
  let expected;
  try {
    expected = await computeReference({ detector, embedder }, await decodeImageFile(o.reference));
  } finally {
    await Promise.all([detector?.dispose(), embedder?.dispose()]);
  }
  const draft: BundleDraft = {
    name: o.name ?? resolved.map((r) => `${r.manifest.name}@${r.manifest.version}`).join('+'),
    models,
    files,
    embedderId,
    calibration,
    qdq,
    report,
    stats,
    source: o.source ?? null,
    reference: {
      frame,
      tolerance: { ...DEFAULT_TOLERANCE, ...o.tolerance },
      ...(expected.detector ? { detector: { minScore: detOpts.minScore, detections: expected.detector.detections } } : {}),
      ...(expected.embedder ? { embedder: { ...expected.embedder, flip: defaults.matching.flipTta } } : {}),
    },
  };
  return sealBundle(o.out, draft, o.key);
}

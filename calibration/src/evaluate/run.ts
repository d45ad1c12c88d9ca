/**
 * `evaluate`: the INT8-vs-FP32 gate. Detectors: box agreement and cat recall
 * (./detector.ts). Embedders: cosine between candidate and reference
 * embeddings of the same crops (mean, worst), and the `gloves eval` protocol
 * (daemon/src/evaluation/evaluate.ts) run for both, compared on top1 and
 * false_accept. Both runs use raw cosine (population statistics off), because
 * the shipped statistics belong to the reference's embedding space only.
 * Writes <candidate>.evaluation.json beside the candidate manifest.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { loadConfig } from '../../../daemon/src/config/load.js';
import { createOnnxRuntimeBackend } from '../../../daemon/src/inference/onnxruntime.js';
import { createDetector } from '../../../daemon/src/recognition/index.js';
import { createEmbedder } from '../../../daemon/src/recognition/index.js';
import { evaluateDataset } from '../../../daemon/src/evaluation/index.js';
import { listDataset } from '../../../daemon/src/evaluation/index.js';
import type { Detection } from '../../../daemon/src/recognition/index.js';
import { decodeImageFile } from '../../../daemon/src/vision/decode.js';
import type { Logger } from '../../../daemon/src/log/logger.js';
import { join as pjoin } from 'node:path';
import { packageRoot } from '../../../daemon/src/util/paths.js';
import { TrainerError } from '../errors.js';
import { resolveModel, type ResolvedModel } from '../models.js';
import { evaluateDetectors, listLabelled } from './detector.js';

export interface EvaluateOptions {
  reference: string;
  candidate: string;
  dataset: string;
  /** Largest allowed drop (fraction, 0.01 = 1 point) of recall / top1, and rise of false_accept. */
  maxDrop: number;
  /** Smallest allowed box match rate (detectors). */
  minAgreement: number;
  /** Smallest allowed mean cosine (embedders). */
  minCosine: number;
  shots: number;
  detectorManifest?: string;
  threads?: number;
  log: Logger;
  progress: (line: string) => void;
}

export interface EvaluationReport {
  task: 'detector' | 'embedder';
  reference: { name: string; sha256: string };
  candidate: { name: string; sha256: string };
  dataset: string;
  gate: { maxDrop: number; minAgreement?: number; minCosine?: number; passed: boolean; failures: string[] };
  metrics: Record<string, unknown>;
}

export async function runEvaluate(o: EvaluateOptions): Promise<{ report: EvaluationReport; path: string }> {
  const ref = resolveModel(o.reference);
  const cand = resolveModel(o.candidate);
  if (ref.manifest.task !== cand.manifest.task) {
    throw new TrainerError('MODEL_TASK_MISMATCH', `reference is a ${ref.manifest.task}, candidate a ${cand.manifest.task}`);
  }
  const backend = createOnnxRuntimeBackend({ threads: o.threads ?? 2 });
  const failures: string[] = [];
  let metrics: Record<string, unknown>;
  const gate: EvaluationReport['gate'] = { maxDrop: o.maxDrop, passed: false, failures };
  if (ref.manifest.task === 'detector') {
    const images = listLabelled(o.dataset);
    const opts = { minScore: 0.3, nmsIou: 0.45, crossClassIou: 0.7, labels: ['cat', 'dog'] as const };
    const rd = createDetector(ref.manifest, await backend.load(ref.manifest, ref.file), { ...opts, labels: [...opts.labels] });
    const cd = createDetector(cand.manifest, await backend.load(cand.manifest, cand.file), { ...opts, labels: [...opts.labels] });
    try {
      const every = Math.max(1, Math.floor(images.length / 10));
      const d = await evaluateDetectors(rd, cd, images, (k, n) => (k % every === 0 || k === n) && o.progress(`detector: ${k}/${n} images`));
      metrics = d as unknown as Record<string, unknown>;
      gate.minAgreement = o.minAgreement;
      if (d.recall.drop > o.maxDrop)
        failures.push(`cat recall dropped ${(d.recall.drop * 100).toFixed(2)} points (max ${(o.maxDrop * 100).toFixed(2)})`);
      if (d.agreement.matchRate < o.minAgreement) failures.push(`box agreement ${d.agreement.matchRate.toFixed(3)} < ${o.minAgreement}`);
    } finally {
      await Promise.all([rd.dispose(), cd.dispose()]);
    }
  } else {
    gate.minCosine = o.minCosine;
    metrics = await evaluateEmbedders(ref, cand, o, backend);
    const cos = metrics.cosine as { mean: number };
    const ev = metrics.eval as { top1Drop: number; falseAcceptRise: number };
    if (cos.mean < o.minCosine) failures.push(`mean cosine ${cos.mean.toFixed(4)} < ${o.minCosine}`);
    if (ev.top1Drop > o.maxDrop)
      failures.push(`eval top1 dropped ${(ev.top1Drop * 100).toFixed(2)} points (max ${(o.maxDrop * 100).toFixed(2)})`);
    if (ev.falseAcceptRise > o.maxDrop)
      failures.push(`eval false_accept rose ${(ev.falseAcceptRise * 100).toFixed(2)} points (max ${(o.maxDrop * 100).toFixed(2)})`);
  }
  gate.passed = failures.length === 0;
  const report: EvaluationReport = {
    task: ref.manifest.task,
    reference: { name: ref.manifest.name, sha256: ref.manifest.sha256 },
    candidate: { name: cand.manifest.name, sha256: cand.manifest.sha256 },
    dataset: o.dataset,
    gate,
    metrics,
  };
  const path = join(dirname(cand.manifestPath), `${cand.manifest.name}.evaluation.json`);
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return { report, path };
}

async function evaluateEmbedders(
  ref: ResolvedModel,
  cand: ResolvedModel,
  o: EvaluateOptions,
  backend: ReturnType<typeof createOnnxRuntimeBackend>,
): Promise<Record<string, unknown>> {
  const det = resolveModel(o.detectorManifest ?? pjoin(packageRoot(), 'models', 'yolox_nano_416_coco.json'));
  const pets = listDataset(o.dataset);
  const detector = createDetector(det.manifest, await backend.load(det.manifest, det.file), {
    minScore: 0.3,
    nmsIou: 0.45,
    crossClassIou: 0.7,
    labels: ['cat', 'dog'],
  });
  const re = createEmbedder(ref.manifest, await backend.load(ref.manifest, ref.file), { cropMargin: 0.1, flip: false });
  const ce = createEmbedder(cand.manifest, await backend.load(cand.manifest, cand.file), { cropMargin: 0.1, flip: false });
  const cos: number[] = [];
  let worstFile = '';
  try {
    const files = pets.flatMap((p) => p.photos);
    for (const [k, file] of files.entries()) {
      const img = await decodeImageFile(file);
      const best = (await detector.detect(img)).reduce<Detection | null>((b, d) => (!b || d.score > b.score ? d : b), null);
      if (!best) continue;
      const [a] = await re.embed(img, [best.box]);
      const [b] = await ce.embed(img, [best.box]);
      let dot = 0;
      for (let i = 0; i < a!.length; i++) dot += a![i]! * b![i]!;
      if (cos.length === 0 || dot < Math.min(...cos)) worstFile = file;
      cos.push(dot);
      if ((k + 1) % 50 === 0 || k + 1 === files.length) o.progress(`embedder cosine: ${k + 1}/${files.length} photos`);
    }
  } finally {
    await Promise.all([detector.dispose(), re.dispose(), ce.dispose()]);
  }
  const evalWith = async (m: ResolvedModel) => {
    // `gloves eval` resolves both model files in one directory: link them into a temporary one.
    const dir = mkdtempSync(join(tmpdir(), 'gloves-eval-'));
    try {
      symlinkSync(det.file, join(dir, basename(det.file)));
      symlinkSync(m.file, join(dir, basename(m.file)));
      const config = loadConfig({
        overrides: {
          'models.dir': dir,
          'models.detector': det.manifestPath,
          'models.embedder': m.manifestPath,
          'matching.population': false,
          'inference.backend': 'onnxruntime',
          'inference.threads': o.threads ?? 2,
        },
      });
      const r = await evaluateDataset({ datasetDir: o.dataset, shots: o.shots, config, backend, log: o.log });
      return { top1: r.top1, false_accept: r.false_accept, no_detection: r.no_detection, photos: r.photos };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  o.progress('gloves eval: reference');
  const er = await evalWith(ref);
  o.progress('gloves eval: candidate');
  const ec = await evalWith(cand);
  const mean = cos.reduce((a, b) => a + b, 0) / Math.max(1, cos.length);
  return {
    cosine: { photos: cos.length, mean, worst: cos.length ? Math.min(...cos) : 0, worstFile },
    eval: {
      shots: o.shots,
      population: false,
      reference: er,
      candidate: ec,
      top1Drop: er.top1 - ec.top1,
      falseAcceptRise: ec.false_accept - er.false_accept,
    },
  };
}

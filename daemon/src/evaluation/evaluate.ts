/**
 * The evaluation protocol of `gloves eval` (and the trainer): pure functions over
 * embedded photos plus evaluateDataset() that runs the models.
 *
 * Per pet, photos sorted by name; the K shots at floor(i*n/K) are enrolled, the
 * rest are queries, each judged by its highest-scoring detection (none = error).
 * - closed set: all pets enrolled; top1 = fraction of queries named correctly
 *   (unknown and no detection are wrong);
 * - open set: each pet left out in turn, the others enrolled; false_accept =
 *   fraction of the left-out pet's queries that get any name.
 * Decisions use the matcher's own functions and rule, as the daemon does.
 */
import type { RecognitionConfig } from '../recognition/config.js';
import type { InferenceBackend } from '../inference/backend.js';
import type { Logger } from '../log/logger.js';
import { embedDataset, enrolmentIndices, listDataset, type EmbeddedPhoto } from './dataset.js';
import { embedderModelId } from '../recognition/embedding/embedder.js';
import { loadModels, packagePath } from '../recognition/load.js';
import { buildPrototypes, decide, decisionRule, scorePets, type DecisionRule } from '../recognition/matching/matcher.js';
import { applyTransform, loadStats, type PopulationStats } from '../recognition/matching/stats.js';
import type { QueryOutcome } from './outcomes.js';
import { operatingCurve, type Curve } from './curve.js';

export interface EvalResult {
  pets: number;
  photos: number;
  shots: number;
  top1: number;
  false_accept: number;
  no_detection: number;
  seconds: number;
}

export function splitShots(items: readonly EmbeddedPhoto[], shots: number) {
  const byPet = new Map<string, EmbeddedPhoto[]>();
  for (const it of items) byPet.set(it.pet, [...(byPet.get(it.pet) ?? []), it]);
  const enrol = new Map<string, Float32Array[]>();
  const queries: EmbeddedPhoto[] = [];
  for (const [pet, photos] of byPet) {
    const idx = new Set(enrolmentIndices(photos.length, shots));
    enrol.set(
      pet,
      photos.filter((_, i) => idx.has(i)).flatMap((p) => (p.embedding ? [p.embedding] : [])),
    );
    queries.push(...photos.filter((_, i) => !idx.has(i)));
  }
  return { enrol, queries };
}

/** Run both protocols on embedded photos (pure). */
export function evaluateEmbedded(
  items: readonly EmbeddedPhoto[],
  shots: number,
  rule: DecisionRule,
  stats: PopulationStats | undefined,
): QueryOutcome[] {
  const { enrol, queries } = splitShots(items, shots);
  const pets = [...enrol.entries()].map(([id, embeddings]) => ({ id, name: id, embeddings }));
  const names = new Map(pets.map((p) => [p.id, p.name]));
  const all = buildPrototypes(pets, rule, stats);
  return queries.map((q) => {
    if (!q.embedding) return { pet: q.pet, file: q.file, closed: null, open: null, detected: false, closedScores: null, openScores: null };
    const t = applyTransform(q.embedding, stats);
    const cs = scorePets(t, all, rule, stats);
    const os = scorePets(
      t,
      all.filter((p) => p.petId !== q.pet),
      rule,
      stats,
    );
    const two = (s: { score: number }[]): [number, number] => [s[0]?.score ?? -1, s[1]?.score ?? -1];
    return {
      pet: q.pet,
      file: q.file,
      closed: decide(cs, names, rule).pet?.petId ?? null,
      closedBest: cs[0]?.petId ?? null,
      open: decide(os, names, rule).pet?.petId ?? null,
      detected: true,
      closedScores: two(cs),
      openScores: two(os),
    };
  });
}

export function summarize(outcomes: readonly QueryOutcome[]): { top1: number; false_accept: number; no_detection: number } {
  const n = outcomes.length || 1;
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    top1: r(outcomes.filter((o) => o.closed === o.pet).length / n),
    false_accept: r(outcomes.filter((o) => o.open !== null).length / n),
    no_detection: outcomes.filter((o) => !o.detected).length,
  };
}

export interface EvaluateDatasetOptions {
  datasetDir: string;
  shots: number;
  config: RecognitionConfig;
  backend: InferenceBackend;
  log: Logger;
  /** Only the first N pets (sorted by name), for quick runs. */
  maxPets?: number;
}

/** Embed a dataset with the configured models (the first `maxPets` pets when given). */
export async function embedConfiguredDataset(
  opts: Omit<EvaluateDatasetOptions, 'shots'>,
): Promise<{ pets: number; items: EmbeddedPhoto[]; embedderModelId: string; stats: PopulationStats | undefined }> {
  let pets = listDataset(opts.datasetDir);
  if (opts.maxPets) pets = pets.slice(0, opts.maxPets);
  const models = await loadModels(opts.config, opts.backend, opts.log);
  try {
    const modelId = embedderModelId(models.embedderManifest);
    const stats = opts.config.matching.population ? loadStats(packagePath(opts.config.matching.statsDir), modelId) : undefined;
    const items = await embedDataset(pets, models.detector, models.embedder, opts.log);
    return { pets: pets.length, items, embedderModelId: modelId, stats };
  } finally {
    await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
  }
}

export async function evaluateDataset(opts: EvaluateDatasetOptions): Promise<EvalResult & Curve & { outcomes: QueryOutcome[] }> {
  const t0 = performance.now();
  const { config, log } = opts;
  let pets = listDataset(opts.datasetDir);
  if (opts.maxPets) pets = pets.slice(0, opts.maxPets);
  const models = await loadModels(config, opts.backend, log);
  try {
    const stats = config.matching.population
      ? loadStats(packagePath(config.matching.statsDir), embedderModelId(models.embedderManifest))
      : undefined;
    const items = await embedDataset(pets, models.detector, models.embedder, log);
    const outcomes = evaluateEmbedded(items, opts.shots, decisionRule(config.matching, stats), stats);
    return {
      pets: pets.length,
      photos: items.length,
      shots: opts.shots,
      ...summarize(outcomes),
      ...operatingCurve(outcomes),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      outcomes,
    };
  } finally {
    await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
  }
}

export type { QueryOutcome } from './outcomes.js';

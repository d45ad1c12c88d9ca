/**
 * Honest cross-validation across cats (pure).
 *
 * Cats are split into folds (sorted names, cat i in fold i mod N). For each fold,
 * EVERYTHING learned (population mean, whitening, spread weight, threshold,
 * logistic confidence, log-likelihood-ratio calibration, cohort) is fitted by
 * `fitRecipe` on the photos of the OTHER folds' cats only; the fold's cats are
 * then enrolled (K shots each) and their remaining photos scored:
 * - closed set: all the fold's cats enrolled, top1 = named correctly;
 * - open set: the query's own cat left out, false_accept = named anything.
 * The enrolled cats are scored cats: no statistic sees them.
 *
 * `fitRecipe` calibrates on its training cats by the same protocol one level
 * down (inner folds): out-of-fold scores give the threshold at the target false
 * accept rate, the logistic, the LLR calibration and the predicted rates. The
 * shipped statistics are `fitRecipe` on all the shared cats (gloves-trainer fit-stats).
 */
import { GlovesError } from '../errors.js';
import type { EmbeddedPhoto } from './dataset.js';
import { splitShots, summarize } from './evaluate.js';
import type { QueryOutcome, ScoredQuery } from './outcomes.js';
import {
  fitCohort,
  fitConfidence,
  fitLlr,
  fitPopulation,
  meanSpread,
  nestedEstimate,
  RECIPE,
  thresholdFor,
  WHITEN_SHRINK,
} from './calibrate.js';
import { buildPrototypes, decide, scorePets, type DecisionRule, type PetScore } from '../recognition/matching/matcher.js';
import { applyTransform, type PopulationStats } from '../recognition/matching/stats.js';
import { operatingCurve, type Curve } from './curve.js';

export interface RecipeOptions {
  shots: number;
  /** Out-of-fold false-accept rate the threshold is chosen for (on the training cats). */
  target: number;
  /** Inner folds for calibrating on the training cats. */
  innerFolds: number;
  /** Candidate spread weights; the one with the best inner top1 at the target is kept. */
  spreadWeights: readonly number[];
  shrink: number;
  prototypes: 'mean' | 'each';
  topK: number;
  /** Cohort score normalisation: number of closest cohort vectors (0 = off). */
  cohortTopN: number;
  /** Called with the cats of every photo set any statistic is fitted on (tests use it). */
  onFit?: (pets: readonly string[]) => void;
}

export const DEFAULT_RECIPE: Omit<RecipeOptions, 'onFit'> = {
  shots: 3,
  target: 0.03,
  innerFolds: 2,
  spreadWeights: [0.5],
  shrink: WHITEN_SHRINK,
  prototypes: 'mean',
  topK: 1,
  cohortTopN: 0,
};

export function petsOf(items: readonly EmbeddedPhoto[]): string[] {
  return [...new Set(items.map((i) => i.pet))].sort();
}

/** Cats of each fold: sorted names, cat i goes to fold i mod folds. */
export function petFolds(pets: readonly string[], folds: number): string[][] {
  if (!Number.isInteger(folds) || folds < 2 || folds > pets.length) {
    throw new GlovesError('EVAL_FOLDS_INVALID', `--folds must be an integer from 2 to the number of pets (${pets.length}), got ${folds}`, {
      folds,
      pets: pets.length,
    });
  }
  const sorted = [...pets].sort();
  return Array.from({ length: folds }, (_, f) => sorted.filter((_, i) => i % folds === f));
}

/** Enrol the `scored` cats (K shots each) and score their other photos (gallery = those cats only). */
export function scoreFold(
  items: readonly EmbeddedPhoto[],
  scored: ReadonlySet<string>,
  shots: number,
  rule: DecisionRule,
  stats: PopulationStats | undefined,
): ScoredQuery[] {
  const { enrol, queries } = splitShots(
    items.filter((i) => scored.has(i.pet)),
    shots,
  );
  const protos = buildPrototypes(
    [...enrol.entries()].map(([id, embeddings]) => ({ id, name: id, embeddings })),
    rule,
    stats,
  );
  return queries.map((q) => {
    if (!q.embedding) return { pet: q.pet, file: q.file, vector: null, scores: null };
    const v = applyTransform(q.embedding, stats);
    return { pet: q.pet, file: q.file, vector: v, scores: scorePets(v, protos, rule, stats) };
  });
}

/** Decisions name pets by id here. */
const names: ReadonlyMap<string, string> = new Map();

/** Closed- and open-set decisions of scored queries under `rule`. */
export function outcomesOf(queries: readonly ScoredQuery[], rule: DecisionRule): QueryOutcome[] {
  const two = (s: PetScore[]): [number, number] => [s[0]?.score ?? -Infinity, s[1]?.score ?? -Infinity];
  return queries.map((q) => {
    if (!q.scores) return { pet: q.pet, file: q.file, closed: null, open: null, detected: false, closedScores: null, openScores: null };
    const open = q.scores.filter((s) => s.petId !== q.pet);
    return {
      pet: q.pet,
      file: q.file,
      closed: decide(q.scores, names, rule).pet?.petId ?? null,
      closedBest: q.scores[0]?.petId ?? null,
      open: decide(open, names, rule).pet?.petId ?? null,
      detected: true,
      closedScores: two(q.scores),
      openScores: two(open),
    };
  });
}

export function baseRule(opts: Pick<RecipeOptions, 'prototypes' | 'topK' | 'cohortTopN'>, spreadWeight: number): DecisionRule {
  return {
    prototypes: opts.prototypes,
    topK: opts.topK,
    threshold: -Infinity,
    margin: 0,
    slope: 1,
    offset: 0,
    spreadWeight,
    defaultSpread: 0,
    cohortTopN: opts.cohortTopN,
  };
}

/** The decision rule a fitted recipe ships. */
export function ruleOf(stats: PopulationStats, opts: Pick<RecipeOptions, 'prototypes' | 'topK'>): DecisionRule {
  const c = stats.calibration;
  return {
    prototypes: opts.prototypes,
    topK: opts.topK,
    threshold: c.threshold,
    margin: c.margin,
    slope: c.slope,
    offset: c.offset,
    spreadWeight: c.spreadWeight ?? 0,
    defaultSpread: c.defaultSpread ?? 0,
    cohortTopN: c.cohortTopN ?? 0,
    ...(c.llr ? { llr: c.llr } : {}),
  };
}

export interface FittedRecipe {
  stats: PopulationStats;
  /** Cats whose photos any statistic was fitted on. */
  fittedOn: string[];
  /** Nested estimate on the training cats: what this recipe is expected to give on cats never seen. */
  predicted: { top1: number; false_accept: number };
}

function fitStats(items: readonly EmbeddedPhoto[], modelId: string, opts: RecipeOptions): PopulationStats {
  opts.onFit?.(petsOf(items));
  const st = fitPopulation(items, modelId, opts.shrink);
  if (opts.cohortTopN > 0) st.cohort = fitCohort(items, st);
  return st;
}

/** Fit everything the matcher needs on `items` (the training cats only). */
export function fitRecipe(items: readonly EmbeddedPhoto[], modelId: string, opts: RecipeOptions): FittedRecipe {
  const pets = petsOf(items);
  const inner = petFolds(pets, Math.min(opts.innerFolds, pets.length));
  const innerStats = inner.map((g) =>
    fitStats(
      items.filter((i) => !g.includes(i.pet)),
      modelId,
      opts,
    ),
  );
  let best: { sw: number; t: number; top1: number; oof: QueryOutcome[][]; sq: ScoredQuery[] } | undefined;
  for (const sw of opts.spreadWeights) {
    const rule = baseRule(opts, sw);
    const sq = inner.map((g, k) => scoreFold(items, new Set(g), opts.shots, rule, innerStats[k]));
    const oof = sq.map((s) => outcomesOf(s, rule));
    const flat = oof.flat();
    const t = thresholdFor(flat, opts.target);
    const top1 = flat.filter((o) => o.closedScores && o.closedScores[0] >= t && o.closed === o.pet).length / (flat.length || 1);
    if (!best || top1 > best.top1) best = { sw, t, top1, oof, sq: sq.flat() };
  }
  const b = best!;
  const full = fitStats(items, modelId, opts);
  const conf = fitConfidence(b.oof.flat(), b.t);
  const nested = nestedEstimate(b.oof, opts.target);
  const r4 = (x: number): number => Math.round(x * 10000) / 10000;
  full.calibration = {
    threshold: r4(b.t),
    margin: 0,
    slope: r4(conf.slope),
    offset: r4(conf.offset),
    spreadWeight: b.sw,
    defaultSpread: r4(meanSpread(items, opts.shots, full)),
    ...(opts.cohortTopN > 0 ? { cohortTopN: opts.cohortTopN } : {}),
    llr: fitLlr(b.sq),
    predicted: { false_accept: r4(nested.false_accept), top1: r4(nested.top1), target: opts.target, folds: inner.length },
    method: `${RECIPE}: centre + within-class whitening (shrink ${opts.shrink}); ${opts.prototypes} prototype; score - ${b.sw} x enrolment spread${opts.cohortTopN > 0 ? `; cohort-normalised (top ${opts.cohortTopN})` : ''}; threshold at out-of-fold false-accept ${opts.target} (${inner.length}-fold CV across ${pets.length} cats, K=${opts.shots})`,
  };
  return { stats: full, fittedOn: pets, predicted: { top1: nested.top1, false_accept: nested.false_accept } };
}

export interface FoldResult {
  fitted: string[];
  scored: string[];
  stats: PopulationStats;
  rule: DecisionRule;
  queries: ScoredQuery[];
  outcomes: QueryOutcome[];
}

export interface CrossValidation {
  folds: FoldResult[];
  /** The shipped operating point (threshold fitted per fold without its cats). */
  top1: number;
  false_accept: number;
  no_detection: number;
  /** Mean false accept the fitted statistics predicted for themselves. */
  predicted_false_accept: number;
  curve: Curve['curve'];
  eer: number;
}

export function crossValidate(items: readonly EmbeddedPhoto[], modelId: string, folds: number, opts: RecipeOptions): CrossValidation {
  const pets = petsOf(items);
  const outer = petFolds(pets, folds);
  const minTrain = Math.min(...outer.map((f) => pets.length - f.length));
  if (Math.min(...outer.map((f) => f.length)) < 2 || minTrain < 2 * opts.innerFolds) {
    throw new GlovesError(
      'EVAL_FOLDS_INVALID',
      `--folds ${folds} on ${pets.length} pets leaves too few: each fold needs >= 2 pets (enrolled together) and the others >= ${2 * opts.innerFolds} (calibrated in ${opts.innerFolds} inner folds of >= 2)`,
      { folds, pets: pets.length },
    );
  }
  const results: FoldResult[] = outer.map((scoredPets) => {
    const scored = new Set(scoredPets);
    const train = items.filter((i) => !scored.has(i.pet));
    const fitted = fitRecipe(train, modelId, opts);
    const rule = ruleOf(fitted.stats, opts);
    const queries = scoreFold(items, scored, opts.shots, rule, fitted.stats);
    return { fitted: fitted.fittedOn, scored: scoredPets, stats: fitted.stats, rule, queries, outcomes: outcomesOf(queries, rule) };
  });
  const all = results.flatMap((r) => r.outcomes);
  const s = summarize(all);
  const n = all.length || 1;
  const predicted = results.reduce((acc, r) => acc + (r.stats.calibration.predicted?.false_accept ?? NaN) * r.outcomes.length, 0) / n;
  const c = operatingCurve(all);
  return { folds: results, ...s, predicted_false_accept: Math.round(predicted * 1000) / 1000, curve: c.curve, eer: c.eer };
}

export type { ScoredQuery } from './outcomes.js';

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
import { fitCohort, fitConfidence, fitLlr, fitPopulation, meanSpread, RECIPE, WHITEN_SHRINK } from './calibrate.js';
import { buildPrototypes, decide, scorePets, type DecisionRule, type PetScore } from '../recognition/matching/matcher.js';
import { applyTransform, type PopulationStats } from '../recognition/matching/stats.js';
import { operatingCurve, type Curve } from './curve.js';
import { impostorScores, outOfFoldEstimate, REFERENCE_ENROLLED, thresholdForEnrolled } from './open-set.js';

export interface RecipeOptions {
  shots: number;
  /** Out-of-fold false-accept rate the threshold is chosen for (on the training cats)... */
  target: number;
  /** ...for a stranger facing this many enrolled pets (open-set.ts). */
  enrolled: number;
  /** Inner folds for calibrating on the training cats. */
  innerFolds: number;
  /** Inner cross-validations, each on a different (deterministic) split of the training cats, pooled. */
  innerRepeats: number;
  /** Candidate spread weights; the one with the best inner top1 at the target is kept. */
  spreadWeights: readonly number[];
  shrink: number;
  prototypes: 'mean' | 'each';
  topK: number;
  /** Cohort score normalisation: number of closest cohort vectors (0 = off). */
  cohortTopN: number;
  /** Background rule against the cohort (0 = off): see matcher.ts scorePets. */
  backgroundWeight: number;
  /** Called with the cats of every photo set any statistic is fitted on (tests use it). */
  onFit?: (pets: readonly string[]) => void;
  /**
   * A feature step fitted per outer fold on its training photos, then applied to every photo
   * before the recipe is fitted and the fold scored (e.g. filling a missing face with the
   * training cats' mean face, evaluation/features.ts). None: the embeddings as they are.
   */
  fitFeatures?: (train: readonly EmbeddedPhoto[]) => (items: readonly EmbeddedPhoto[]) => EmbeddedPhoto[];
}

export const DEFAULT_RECIPE: Omit<RecipeOptions, 'onFit' | 'fitFeatures'> = {
  shots: 3,
  target: 0.03,
  enrolled: REFERENCE_ENROLLED,
  // 3 inner folds, 5 splits: the inner statistics see 2/3 of the training cats (closer to
  // what the final fit sees), and the threshold does not hang on which cats shared a fold.
  // Measured against 2 x 1 (the earlier default) in the README's table of decision rules.
  innerFolds: 3,
  innerRepeats: 5,
  spreadWeights: [0.5],
  shrink: WHITEN_SHRINK,
  prototypes: 'mean',
  topK: 1,
  cohortTopN: 0,
  backgroundWeight: 0,
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

export function baseRule(
  opts: Pick<RecipeOptions, 'prototypes' | 'topK' | 'cohortTopN' | 'backgroundWeight'>,
  spreadWeight: number,
): DecisionRule {
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
    backgroundWeight: opts.backgroundWeight,
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
    backgroundWeight: c.backgroundWeight ?? 0,
    ...(c.llr ? { llr: c.llr } : {}),
  };
}

export interface FittedRecipe {
  stats: PopulationStats;
  /** Cats whose photos any statistic was fitted on. */
  fittedOn: string[];
  /** Out-of-fold estimate on the training cats: what this threshold is expected to give on cats never seen. */
  predicted: { top1: number; false_accept: number };
}

function fitStats(items: readonly EmbeddedPhoto[], modelId: string, opts: RecipeOptions): PopulationStats {
  opts.onFit?.(petsOf(items));
  const st = fitPopulation(items, modelId, opts.shrink);
  if (opts.cohortTopN > 0 || opts.backgroundWeight > 0) st.cohort = fitCohort(items, st);
  return st;
}

/**
 * The inner folds of `repeats` cross-validations: the first splits the sorted cats like
 * petFolds, each further one a fixed pseudo-random permutation of them, so that the
 * calibration does not hang on which cats happened to share an inner fold.
 */
export function innerSplits(pets: readonly string[], folds: number, repeats: number): string[][] {
  const out: string[][] = [];
  let seed = 1;
  const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let r = 0; r < repeats; r++) {
    const order =
      r === 0
        ? [...pets].sort()
        : [...pets]
            .sort()
            .map((p) => [next(), p] as const)
            .sort((a, b) => a[0] - b[0])
            .map((x) => x[1]);
    out.push(...Array.from({ length: folds }, (_, f) => order.filter((_, i) => i % folds === f)));
  }
  return out;
}

/** Fit everything the matcher needs on `items` (the training cats only). */
export function fitRecipe(items: readonly EmbeddedPhoto[], modelId: string, opts: RecipeOptions): FittedRecipe {
  const pets = petsOf(items);
  // Inner folds of >= 2 cats (a fold's cats are enrolled together): fewer folds when few cats.
  const inner = innerSplits(pets, Math.max(2, Math.min(opts.innerFolds, Math.floor(pets.length / 2))), opts.innerRepeats);
  const innerStats = inner.map((g) =>
    fitStats(
      items.filter((i) => !g.includes(i.pet)),
      modelId,
      opts,
    ),
  );
  let best: { sw: number; t: number; top1: number; oof: QueryOutcome[]; sq: ScoredQuery[] } | undefined;
  for (const sw of opts.spreadWeights) {
    const rule = baseRule(opts, sw);
    const sq = inner.flatMap((g, k) => scoreFold(items, new Set(g), opts.shots, rule, innerStats[k]));
    const oof = outcomesOf(sq, rule);
    const t = thresholdForEnrolled(impostorScores(sq), opts.target, opts.enrolled);
    const top1 = oof.filter((o) => o.closedScores && o.closedScores[0] >= t && o.closed === o.pet).length / (oof.length || 1);
    if (!best || top1 > best.top1) best = { sw, t, top1, oof, sq };
  }
  const b = best!;
  const full = fitStats(items, modelId, opts);
  const conf = fitConfidence(b.oof, b.t);
  const est = outOfFoldEstimate(b.oof, impostorScores(b.sq), b.t);
  const r4 = (x: number): number => Math.round(x * 10000) / 10000;
  full.calibration = {
    threshold: r4(b.t),
    margin: 0,
    slope: r4(conf.slope),
    offset: r4(conf.offset),
    spreadWeight: b.sw,
    defaultSpread: r4(meanSpread(items, opts.shots, full)),
    ...(opts.cohortTopN > 0 ? { cohortTopN: opts.cohortTopN } : {}),
    ...(opts.backgroundWeight > 0 ? { backgroundWeight: opts.backgroundWeight } : {}),
    llr: fitLlr(b.sq),
    predicted: {
      false_accept: r4(est.false_accept),
      top1: r4(est.top1),
      target: opts.target,
      folds: inner.length / opts.innerRepeats,
      enrolled: opts.enrolled,
      byEnrolled: est.byEnrolled.map(r4),
    },
    method: `${RECIPE}: centre + within-class whitening (shrink ${opts.shrink}); ${opts.prototypes} prototype; score - ${b.sw} x enrolment spread${opts.cohortTopN > 0 ? `; cohort-normalised (top ${opts.cohortTopN})` : ''}; threshold at out-of-fold false-accept ${opts.target} with ${opts.enrolled} pets enrolled (${inner.length}-fold CV across ${pets.length} cats, K=${opts.shots})`,
  };
  return { stats: full, fittedOn: pets, predicted: { top1: est.top1, false_accept: est.false_accept } };
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

/**
 * The false accept statistics predict for a stranger facing `enrolled` pets; beyond the
 * largest household their folds could show, that one's (a lower bound).
 */
export function predictedFor(stats: PopulationStats, enrolled: number): number {
  const p = stats.calibration.predicted;
  if (!p) return NaN;
  const by = p.byEnrolled;
  return by && by.length > 0 ? by[Math.min(enrolled, by.length) - 1]! : p.false_accept;
}

export function crossValidate(items: readonly EmbeddedPhoto[], modelId: string, folds: number, opts: RecipeOptions): CrossValidation {
  const pets = petsOf(items);
  const outer = petFolds(pets, folds);
  const minTrain = Math.min(...outer.map((f) => pets.length - f.length));
  if (Math.min(...outer.map((f) => f.length)) < 2 || minTrain < 4) {
    throw new GlovesError(
      'EVAL_FOLDS_INVALID',
      `--folds ${folds} on ${pets.length} pets leaves too few: each fold needs >= 2 pets (enrolled together) and the others >= 4 (calibrated in inner folds of >= 2)`,
      { folds, pets: pets.length },
    );
  }
  const results: FoldResult[] = outer.map((scoredPets) => {
    const scored = new Set(scoredPets);
    let train = items.filter((i) => !scored.has(i.pet));
    let all = items;
    if (opts.fitFeatures) {
      opts.onFit?.(petsOf(train));
      const step = opts.fitFeatures(train);
      train = step(train);
      all = step(items);
    }
    const fitted = fitRecipe(train, modelId, opts);
    const rule = ruleOf(fitted.stats, opts);
    const queries = scoreFold(all, scored, opts.shots, rule, fitted.stats);
    return { fitted: fitted.fittedOn, scored: scoredPets, stats: fitted.stats, rule, queries, outcomes: outcomesOf(queries, rule) };
  });
  const all = results.flatMap((r) => r.outcomes);
  const s = summarize(all);
  const n = all.length || 1;
  // Each fold is compared with what its statistics predict for its own household: its other cats enrolled.
  const predicted = results.reduce((acc, r) => acc + predictedFor(r.stats, r.scored.length - 1) * r.outcomes.length, 0) / n;
  const c = operatingCurve(all);
  return { folds: results, ...s, predicted_false_accept: Math.round(predicted * 1000) / 1000, curve: c.curve, eer: c.eer };
}

export type { ScoredQuery } from './outcomes.js';

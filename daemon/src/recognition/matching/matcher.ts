/**
 * Open-world matching: embedding -> a pet or unknown, with a confidence.
 *
 * 1. Every embedding (gallery photos and queries) goes through the population
 *    transform (./stats.ts): centring and whitening learned on other cats.
 * 2. A pet's score is its similarity to the query: cosine to the mean of its
 *    photos (`mean`), or the mean of the best `topK` cosines to its photos (`each`),
 *    minus `spreadWeight` times the pet's enrolment spread (the mean pairwise
 *    cosine of its own photos). A pet whose photos agree closely earns high
 *    cosines from its own queries, so it must clear a higher bar; a pet with
 *    varied photos a lower one. This per-pet threshold uses only the user's
 *    gallery and measured best of the open-set rules tried (calibrate.ts).
 * 3. The best pet is named when its score >= threshold and leads the runner-up
 *    by >= margin; otherwise the answer is unknown (null).
 * 4. confidence = logistic(slope * (score - threshold) + offset), fitted on
 *    cross-validated outcomes; for unknown it is 1 minus that.
 *
 * 5. Local background (./local-background.ts): a pet also loses weight x by how much the
 *    query is closer to a frequent visitor (a cat known not to be this pet) than to the pet.
 *
 * The matcher follows the gallery (prototypes are rebuilt when its revision moves) and the
 * local background's source (rows rebuilt when it hands out a new array).
 */
import type { MatchingSectionConfig } from './config.js';
import type { GalleryView } from '../gallery/gallery.js';
import { applyTransform, type PopulationStats } from './stats.js';
import { cachedTransform, localExcess, localRows, type LocalBackgroundOptions, type LocalRows } from './local-background.js';
import type { Matcher, MatchResult } from '../types.js';
import { dot } from './linalg.js';

export type MatchingConfig = MatchingSectionConfig;

/** Defaults when neither config nor statistics give a calibration. */
const FALLBACK = { threshold: 0.8, margin: 0, slope: 20, offset: 0, spreadWeight: 0, defaultSpread: 0 };

export interface DecisionRule {
  prototypes: 'mean' | 'each';
  topK: number;
  threshold: number;
  margin: number;
  slope: number;
  offset: number;
  /** Weight of the enrolment spread subtracted from a pet's score. */
  spreadWeight: number;
  /** Spread used for a pet with a single photo. */
  defaultSpread: number;
  /** Cohort normalisation against the statistics' cohort: closest N cohort vectors (0/absent = off). */
  cohortTopN?: number;
  /**
   * Background rule: a pet's score loses `backgroundWeight` times by how much the query is closer to
   * its nearest background cat (the statistics' cohort) than to the pet (0/absent = off).
   */
  backgroundWeight?: number;
  /** Per-pet log-likelihood ratio llr = slope * score + offset (track evidence); absent = none. */
  llr?: { slope: number; offset: number };
}

/** One pet's score for a query; `llr` when the rule is LLR-calibrated. */
export interface PetScore {
  petId: string;
  score: number;
  llr?: number;
}

export function decisionRule(cfg: MatchingConfig, stats: PopulationStats | undefined): DecisionRule {
  const cal = cfg.population && stats ? stats.calibration : undefined;
  return {
    prototypes: cfg.prototypes,
    topK: cfg.topK,
    threshold: cfg.threshold ?? cal?.threshold ?? FALLBACK.threshold,
    margin: cfg.margin ?? cal?.margin ?? FALLBACK.margin,
    slope: cal?.slope ?? FALLBACK.slope,
    offset: cal?.offset ?? FALLBACK.offset,
    spreadWeight: cfg.spreadWeight ?? cal?.spreadWeight ?? FALLBACK.spreadWeight,
    defaultSpread: cal?.defaultSpread ?? FALLBACK.defaultSpread,
    ...(cal?.cohortTopN ? { cohortTopN: cal.cohortTopN } : {}),
    ...(cal?.backgroundWeight ? { backgroundWeight: cal.backgroundWeight } : {}),
    ...(cal?.llr && cfg.threshold === undefined && cfg.spreadWeight === undefined ? { llr: cal.llr } : {}),
  };
}

export interface PetPrototypes {
  petId: string;
  name: string;
  vectors: Float32Array[];
  /** Mean pairwise cosine of the pet's transformed photos (rule.defaultSpread for one photo). */
  spread: number;
  /** Mean and spread of the prototype's closest cohort similarities (cohort normalisation). */
  cohort?: { mu: number; sd: number };
}

/** Mean and standard deviation of the `n` largest similarities of `v` to the cohort rows. */
export function cohortMoments(v: Float32Array, cohort: { rows: number; data: Float32Array }, n: number): { mu: number; sd: number } {
  const dim = v.length;
  const sims = new Float64Array(cohort.rows);
  for (let r = 0; r < cohort.rows; r++) {
    let s = 0;
    const o = r * dim;
    for (let i = 0; i < dim; i++) s += v[i]! * cohort.data[o + i]!;
    sims[r] = s;
  }
  sims.sort();
  const k = Math.max(1, Math.min(n, sims.length));
  let mu = 0;
  for (let i = sims.length - k; i < sims.length; i++) mu += sims[i]!;
  mu /= k;
  let vv = 0;
  for (let i = sims.length - k; i < sims.length; i++) vv += (sims[i]! - mu) ** 2;
  return { mu, sd: Math.sqrt(vv / k) + 1e-3 };
}

/** Highest similarity of `v` to any cohort row (the nearest background cat). */
export function nearestBackground(v: Float32Array, cohort: { rows: number; data: Float32Array }): number {
  const dim = v.length;
  let best = -Infinity;
  for (let r = 0; r < cohort.rows; r++) {
    let s = 0;
    const o = r * dim;
    for (let i = 0; i < dim; i++) s += v[i]! * cohort.data[o + i]!;
    if (s > best) best = s;
  }
  return best;
}

/** Mean pairwise cosine of unit vectors; `fallback` when fewer than two. */
export function enrolmentSpread(t: readonly Float32Array[], fallback: number): number {
  if (t.length < 2) return fallback;
  let s = 0;
  let n = 0;
  for (let i = 0; i < t.length; i++) for (let j = i + 1; j < t.length; j++, n++) s += dot(t[i]!, t[j]!);
  return s / n;
}

/** Build per-pet prototype vectors (already transformed) from gallery embeddings. */
export function buildPrototypes(
  pets: readonly { id: string; name: string; embeddings: readonly Float32Array[] }[],
  rule: DecisionRule,
  stats: PopulationStats | undefined,
): PetPrototypes[] {
  return pets
    .filter((p) => p.embeddings.length > 0)
    .map((p) => {
      const t = p.embeddings.map((e) => applyTransform(e, stats));
      const spread = enrolmentSpread(t, rule.defaultSpread);
      const m = new Float32Array(t[0]!.length);
      for (const v of t) for (let i = 0; i < m.length; i++) m[i] = m[i]! + v[i]!;
      const mean = applyTransform(m, undefined);
      const cohort = rule.cohortTopN && stats?.cohort ? cohortMoments(mean, stats.cohort, rule.cohortTopN) : undefined;
      return { petId: p.id, name: p.name, vectors: rule.prototypes === 'each' ? t : [mean], spread, ...(cohort ? { cohort } : {}) };
    });
}

/**
 * Score every pet for one (transformed) query, best first. With cohort normalisation
 * (rule.cohortTopN and a cohort in `stats`) the score is adaptive symmetric
 * normalisation: the mean of (s - mu)/sd over the query's and the pet's closest cohort
 * similarities, s being the spread-adjusted cosine. With the background rule
 * (rule.backgroundWeight and a cohort) a pet loses backgroundWeight * max(0, b - c), c the
 * query's cosine to the pet and b to its nearest background cat: a query that looks more
 * like a cat known NOT to be a pet than like the pet is pushed towards unknown.
 */
export function scorePets(
  q: Float32Array,
  protos: readonly PetPrototypes[],
  rule: DecisionRule,
  stats?: PopulationStats,
  local?: { weight: number; rows: LocalRows },
): PetScore[] {
  const qc = rule.cohortTopN && stats?.cohort ? cohortMoments(q, stats.cohort, rule.cohortTopN) : undefined;
  const bg = rule.backgroundWeight && stats?.cohort ? nearestBackground(q, stats.cohort) : undefined;
  const out = protos.map((p): PetScore => {
    const sims = p.vectors.map((v) => dot(q, v)).sort((a, b) => b - a);
    const k = Math.min(rule.topK, sims.length);
    let s = 0;
    for (let i = 0; i < k; i++) s += sims[i]!;
    let score = s / k - rule.spreadWeight * p.spread;
    if (bg !== undefined) score -= rule.backgroundWeight! * Math.max(0, bg - s / k);
    if (local && local.weight > 0) score -= local.weight * localExcess(q, local.rows.get(p.petId), s / k);
    if (qc && p.cohort) score = 0.5 * ((score - qc.mu) / qc.sd + (score - p.cohort.mu) / p.cohort.sd);
    return rule.llr ? { petId: p.petId, score, llr: rule.llr.slope * score + rule.llr.offset } : { petId: p.petId, score };
  });
  return out.sort((a, b) => b.score - a.score || (a.petId < b.petId ? -1 : 1));
}

const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

/** The decision on scored pets (pure). */
export function decide(scores: PetScore[], names: ReadonlyMap<string, string>, rule: DecisionRule): MatchResult {
  const best = scores[0];
  if (!best) return { pet: null, confidence: 1, scores };
  const second = scores[1]?.score ?? -1;
  const p = logistic(rule.slope * (best.score - rule.threshold) + rule.offset);
  const accept = best.score >= rule.threshold && best.score - second >= rule.margin;
  if (!accept) return { pet: null, confidence: 1 - p, scores };
  return { pet: { petId: best.petId, name: names.get(best.petId) ?? best.petId }, confidence: p, scores };
}

export interface GalleryMatcher extends Matcher {
  readonly rule: DecisionRule;
}

export function createMatcher(
  gallery: GalleryView,
  cfg: MatchingConfig,
  stats?: PopulationStats,
  background?: LocalBackgroundOptions,
): GalleryMatcher {
  const st = cfg.population ? stats : undefined;
  const rule = decisionRule(cfg, st);
  let revision = -1;
  let protos: PetPrototypes[] = [];
  let names = new Map<string, string>();
  let groups: readonly (readonly Float32Array[])[] | undefined;
  let local: { weight: number; rows: LocalRows } | undefined;
  const tx = cachedTransform(st);
  const refreshPets = (): void => {
    const pets = gallery.pets();
    protos = buildPrototypes(
      pets.map((p) => ({ id: p.id, name: p.name, embeddings: p.photos.map((ph) => ph.embedding) })),
      rule,
      st,
    );
    names = new Map(pets.map((p) => [p.id, p.name]));
    revision = gallery.revision;
  };
  const refresh = (): void => {
    // The guard scores a visitor like the shipped rule scores a query (cosine to the pet's mean); with per-photo
    // prototypes or cohort-normalised scores the threshold is on another scale, so visitors are not used there.
    const comparable = rule.prototypes === 'mean' && !rule.cohortTopN;
    const g = background && background.weight > 0 && comparable ? background.source.groups(gallery.embedderModelId) : undefined;
    if (revision === gallery.revision && g === groups) return;
    groups = g;
    if (revision !== gallery.revision) refreshPets();
    local = g && background ? { weight: background.weight, rows: localRows(g, protos, tx, rule, background.guard) } : undefined;
  };
  return {
    rule,
    match(embedding) {
      refresh();
      return decide(scorePets(applyTransform(embedding, st), protos, rule, st, local), names, rule);
    },
  };
}

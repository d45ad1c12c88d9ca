/**
 * Fitting population statistics and calibrating the unknown threshold (pure).
 *
 * Recipe (chosen by cross-validation across cats, see crossval.ts and `gloves-trainer fit-stats`):
 * centre on the population mean, within-class whitening with shrinkage learned
 * on the population's photos (`fitPopulation`), mean prototype, and a per-pet
 * bar raised by the pet's enrolment spread (matcher.ts).
 *
 * The threshold is calibrated OUT OF SAMPLE (crossval.ts fitRecipe): cats are split
 * into folds; for each fold the statistics are fitted on the other folds only, and the
 * fold's queries are scored with the eval protocol. The pooled out-of-fold impostor
 * scores give the threshold at the target false-accept rate for a household of a
 * reference size, and the prediction per household size (open-set.ts).
 */
import type { EmbeddedPhoto } from './dataset.js';
import { enrolmentIndices } from './dataset.js';
import { summarize } from './evaluate.js';
import type { QueryOutcome } from './outcomes.js';
import type { ScoredQuery } from './outcomes.js';
import { enrolmentSpread } from '../recognition/matching/matcher.js';
import { symmetricEigen } from '../recognition/matching/linalg.js';
import { applyTransform, type PopulationStats } from '../recognition/matching/stats.js';

/** Version of the matching recipe; stats files record it. Bump when the transform or rule changes. */
export const RECIPE = 'whiten-spread/3';
/**
 * Shrinkage of the within-class scatter, relative to its mean eigenvalue. Strong: the
 * scatter of ~150 photos of 10-12 cats in 1280 dimensions is a noisy estimate, and a
 * mild whitening transfers better to cats never seen. Held-out folds on the 15 shared
 * cats (`gloves eval --folds 3` / `--folds 5`, top1 at the shipped point): shrink 0.5
 * gave 0.761 / 0.624, 4 gave 0.776 / 0.644, 16 gave 0.805 / 0.668, 64 gave 0.800 / 0.668
 * (false accept 0.015-0.039 throughout); the README's table of decision rules has the rest.
 */
export const WHITEN_SHRINK = 16;

export function populationMean(items: readonly EmbeddedPhoto[]): Float32Array {
  const vs = items.flatMap((i) => (i.embedding ? [i.embedding] : []));
  if (vs.length === 0) throw new RangeError('populationMean: no embeddings');
  const m = new Float32Array(vs[0]!.length);
  for (const v of vs) for (let i = 0; i < m.length; i++) m[i] = m[i]! + v[i]! / vs.length;
  return m;
}

/**
 * Within-class whitening with shrinkage: P ~ (Sw + s I)^(-1/2), s = shrink * trace(Sw)/dim,
 * Sw the scatter of photos around their own pet's mean. Computed in the span of the
 * centred photos (a Gram matrix of n x n), stored as P/b = I + B^T diag(a/b - 1) B.
 */
export function fitWhitening(items: readonly EmbeddedPhoto[], shrink: number): NonNullable<PopulationStats['whitening']> {
  const rows = items.filter((i) => i.embedding);
  const n = rows.length;
  const dim = rows[0]!.embedding!.length;
  const byPet = new Map<string, Float64Array>();
  const counts = new Map<string, number>();
  for (const r of rows) {
    const m = byPet.get(r.pet) ?? new Float64Array(dim);
    for (let i = 0; i < dim; i++) m[i] = m[i]! + r.embedding![i]!;
    byPet.set(r.pet, m);
    counts.set(r.pet, (counts.get(r.pet) ?? 0) + 1);
  }
  for (const [pet, m] of byPet) for (let i = 0; i < dim; i++) m[i] = m[i]! / counts.get(pet)!;
  const a = new Float64Array(n * dim);
  const w = 1 / Math.sqrt(n);
  rows.forEach((r, k) => {
    const m = byPet.get(r.pet)!;
    for (let i = 0; i < dim; i++) a[k * dim + i] = (r.embedding![i]! - m[i]!) * w;
  });
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += a[i * dim + k]! * a[j * dim + k]!;
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  const { values, vectors } = symmetricEigen(g, n);
  const top = values[0]!;
  const keep: number[] = [];
  for (let r = 0; r < n; r++) if (values[r]! > 1e-9 * top) keep.push(r);
  const total = keep.reduce((s, r) => s + values[r]!, 0);
  const sh = shrink * (total / dim);
  const rank = keep.length;
  const basis = new Float32Array(rank * dim);
  const coef = new Float32Array(rank);
  keep.forEach((r, out) => {
    // Basis vector u = A^T v / sqrt(lambda): unit length because v is an eigenvector of A A^T.
    const inv = 1 / Math.sqrt(values[r]!);
    const u = new Float64Array(dim);
    for (let k = 0; k < n; k++) {
      const vk = vectors[r * n + k]! * inv;
      if (vk === 0) continue;
      for (let i = 0; i < dim; i++) u[i] = u[i]! + vk * a[k * dim + i]!;
    }
    basis.set(u, out * dim);
    coef[out] = Math.sqrt(sh / (values[r]! + sh)) - 1;
  });
  return { rank, basis, coef, shrink };
}

/** Mean and whitening fitted on `items` (an uncalibrated rule; crossval.ts fitRecipe calibrates it). */
export function fitPopulation(items: readonly EmbeddedPhoto[], embedderModelId: string, shrink = WHITEN_SHRINK): PopulationStats {
  const mean = populationMean(items);
  return {
    embedderModelId,
    dim: mean.length,
    mean,
    whitening: fitWhitening(items, shrink),
    recipe: RECIPE,
    calibration: { threshold: -1, margin: 0, slope: 1, offset: 0, method: 'fitting' },
  };
}

/** Logistic P(named correctly | score - threshold), fitted by gradient descent on out-of-fold closed-set outcomes. */
export function fitConfidence(outcomes: readonly QueryOutcome[], threshold: number): { slope: number; offset: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const o of outcomes) {
    if (!o.closedScores) continue;
    xs.push(o.closedScores[0] - threshold);
    ys.push(o.closed === o.pet ? 1 : 0);
  }
  let a = 10;
  let b = 0;
  for (let it = 0; it < 5000; it++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * xs[i]! + b)));
      ga += (p - ys[i]!) * xs[i]!;
      gb += p - ys[i]!;
    }
    a -= (0.5 * ga) / xs.length;
    b -= (0.05 * gb) / xs.length;
  }
  return { slope: a, offset: b };
}

export { summarize };

/** Mean enrolment spread (K shots) of the pets in `items` under `stats`: the fallback for a pet with one photo. */
export function meanSpread(items: readonly EmbeddedPhoto[], shots: number, stats: PopulationStats): number {
  const pets = [...new Set(items.map((i) => i.pet))];
  const vals = pets
    .map((p) => {
      const photos = items.filter((i) => i.pet === p);
      const idx = new Set(enrolmentIndices(photos.length, shots));
      const t = photos.filter((ph, k) => idx.has(k) && ph.embedding).map((ph) => applyTransform(ph.embedding!, stats));
      return enrolmentSpread(t, NaN);
    })
    .filter((v) => Number.isFinite(v));
  return vals.reduce((a, b) => a + b, 0) / (vals.length || 1);
}

/**
 * Per-pet log-likelihood-ratio calibration: llr(score) = slope * score + offset is the
 * log of P(score | the query is this pet) / P(score | it is another cat), fitted by
 * logistic regression with the two classes weighted equally (so the intercept carries
 * no prior) on out-of-fold (query, pet) pairs: a query against its own pet is a
 * genuine pair, against every other enrolled pet an impostor pair.
 */
export function fitLlr(queries: readonly ScoredQuery[]): { slope: number; offset: number } {
  const gen: number[] = [];
  const imp: number[] = [];
  for (const q of queries) for (const s of q.scores ?? []) (s.petId === q.pet ? gen : imp).push(s.score);
  if (gen.length === 0 || imp.length === 0) throw new RangeError('fitLlr: needs genuine and impostor pairs');
  const wg = 0.5 / gen.length;
  const wi = 0.5 / imp.length;
  let a = 0;
  let b = 0;
  // Newton's method on the weighted logistic loss (2 parameters, convex).
  for (let it = 0; it < 50; it++) {
    let ga = 0,
      gb = 0,
      haa = 0,
      hab = 0,
      hbb = 0;
    const acc = (x: number, y: number, w: number): void => {
      const p = 1 / (1 + Math.exp(-(a * x + b)));
      const h = w * p * (1 - p);
      ga += w * (p - y) * x;
      gb += w * (p - y);
      haa += h * x * x;
      hab += h * x;
      hbb += h;
    };
    for (const x of gen) acc(x, 1, wg);
    for (const x of imp) acc(x, 0, wi);
    const reg = 1e-6;
    const det = (haa + reg) * (hbb + reg) - hab * hab;
    if (!(det > 0)) break;
    const da = ((hbb + reg) * ga - hab * gb) / det;
    const db = ((haa + reg) * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { slope: Math.round(a * 1000) / 1000, offset: Math.round(b * 1000) / 1000 };
}

/** Cohort for score normalisation: each training cat's mean transformed photo, unit length (rows x dim). */
export function fitCohort(items: readonly EmbeddedPhoto[], stats: PopulationStats): { rows: number; data: Float32Array } {
  const vs = [...new Set(items.map((i) => i.pet))].sort().flatMap((pet) => {
    const t = items.filter((i) => i.pet === pet && i.embedding).map((i) => applyTransform(i.embedding!, stats));
    if (t.length === 0) return [];
    const m = new Float32Array(t[0]!.length);
    for (const v of t) for (let k = 0; k < m.length; k++) m[k] = m[k]! + v[k]!;
    return [applyTransform(m, undefined)];
  });
  const dim = vs[0]?.length ?? stats.dim;
  const data = new Float32Array(vs.length * dim);
  vs.forEach((v, k) => data.set(v, k * dim));
  return { rows: vs.length, data };
}

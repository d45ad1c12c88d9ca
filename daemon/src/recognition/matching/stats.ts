/**
 * Population statistics for an embedder: a mean to centre on, an optional
 * projection (within-class whitening learned on other cats) and the calibrated
 * decision threshold. They are versioned with the embedder: one file per
 * embedder model id, models/stats/<name>@<sha256-prefix>.json, and refused for
 * any other model.
 *
 * transform(x) = l2( P * (x - mean) ), P the identity when absent. P is either a
 * dense `projection` or a low-rank `whitening` P = I + B^T diag(coef) B (B: `rank`
 * orthonormal rows), which is a within-class whitening with shrinkage
 * (Sw + s I)^(-1/2) up to a scale, stored compactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { GlovesError } from '../../errors.js';
import { l2normalize } from '../embedding/embedder.js';

const statsSchema = z.strictObject({
  format: z.literal('gloves-population-stats'),
  embedderModelId: z.string().min(1),
  /** Where the statistics came from, for humans. */
  provenance: z.string(),
  dim: z.number().int().positive(),
  /** base64 float32 [dim]. */
  mean: z.string(),
  /** base64 float32 [rows * dim], row-major; absent = centring only. */
  projection: z.strictObject({ rows: z.number().int().positive(), data: z.string() }).optional(),
  /** Low-rank whitening: base64 float32 basis [rank * dim] and coef [rank]. */
  whitening: z.strictObject({ rank: z.number().int().positive(), basis: z.string(), coef: z.string(), shrink: z.number() }).optional(),
  /** Version of the matching recipe these statistics were fitted for (see calibrate.ts RECIPE). */
  recipe: z.string().optional(),
  /** Cohort for score normalisation: transformed population photos, base64 (f16) [rows * dim]. */
  cohort: z.strictObject({ rows: z.number().int().positive(), data: z.string() }).optional(),
  calibration: z.strictObject({
    /** Similarity threshold (after transform) chosen by cross-validation across cats. */
    threshold: z.number(),
    margin: z.number(),
    /** Logistic slope/offset mapping (score - threshold) to P(correct). */
    slope: z.number(),
    offset: z.number(),
    method: z.string(),
    /** Score = cosine - spreadWeight * (mean pairwise cosine of the pet's own photos). */
    spreadWeight: z.number().min(0).optional(),
    /** Spread assumed for a pet with a single photo. */
    defaultSpread: z.number().optional(),
    /** Cohort normalisation: closest N cohort vectors (absent = off). */
    cohortTopN: z.number().int().positive().optional(),
    /** Background rule weight against the cohort (matcher.ts scorePets; absent = off). */
    backgroundWeight: z.number().positive().optional(),
    /** Per-pet log-likelihood ratio of a score (track evidence): llr = slope * score + offset. */
    llr: z.strictObject({ slope: z.number(), offset: z.number() }).optional(),
    /** What the fitting's out-of-fold scores predict on cats never seen, at this threshold (evaluation/open-set.ts). */
    predicted: z
      .strictObject({
        false_accept: z.number(),
        top1: z.number(),
        target: z.number(),
        folds: z.number().int(),
        /** Pets enrolled in the household false_accept is for (absent in older files: the inner folds' own). */
        enrolled: z.number().int().positive().optional(),
        /** Predicted false accept with 1, 2, ... pets enrolled. */
        byEnrolled: z.array(z.number()).optional(),
      })
      .optional(),
  }),
});
export type StatsDoc = z.output<typeof statsSchema>;

export interface PopulationStats {
  embedderModelId: string;
  dim: number;
  mean: Float32Array;
  projection?: { rows: number; data: Float32Array };
  whitening?: { rank: number; basis: Float32Array; coef: Float32Array; shrink: number };
  recipe?: string;
  cohort?: { rows: number; data: Float32Array };
  calibration: StatsDoc['calibration'];
}

export function f32ToB64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/**
 * Half precision, for the large whitening basis: it keeps the shipped stats file
 * under 1 MiB, and a 1e-3 relative error on orthonormal rows does not move any
 * ranking measured (see test/recognition/matching.test.ts). Marked by an `f16:` prefix.
 */
export function f32ToB64Half(v: Float32Array): string {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = toHalf(v[i]!);
  return 'f16:' + Buffer.from(out.buffer).toString('base64');
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  let mant = b & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00; // overflow -> inf (never in normalised stats)
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    return sign | ((mant + (1 << (shift - 1))) >>> shift);
  }
  const h = sign | (exp << 10) | (mant >>> 13);
  return mant & 0x1000 ? h + 1 : h; // round half up on the dropped bits
}
function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function b64ToF32(s: string): Float32Array {
  if (s.startsWith('f16:')) {
    const hb = Buffer.from(s.slice(4), 'base64');
    const v = new Float32Array(hb.length / 2);
    for (let i = 0; i < v.length; i++) v[i] = fromHalf(hb.readUInt16LE(i * 2));
    return v;
  }
  const b = Buffer.from(s, 'base64');
  const v = new Float32Array(b.length / 4);
  new Uint8Array(v.buffer).set(b.subarray(0, v.length * 4));
  return v;
}

export function statsFileName(embedderModelId: string): string {
  return `${embedderModelId}.json`;
}

export function parseStats(obj: unknown, source: string): PopulationStats {
  const r = statsSchema.safeParse(obj);
  if (!r.success)
    throw new GlovesError('STATS_INVALID', `population statistics ${source} are malformed: ${r.error.issues[0]?.message ?? ''}`, {
      source,
    });
  const d = r.data;
  const mean = b64ToF32(d.mean);
  if (mean.length !== d.dim)
    throw new GlovesError('STATS_INVALID', `population statistics ${source}: mean has ${mean.length} values, dim is ${d.dim}`, { source });
  const stats: PopulationStats = { embedderModelId: d.embedderModelId, dim: d.dim, mean, calibration: d.calibration };
  if (d.projection) {
    const data = b64ToF32(d.projection.data);
    if (data.length !== d.projection.rows * d.dim)
      throw new GlovesError('STATS_INVALID', `population statistics ${source}: projection size mismatch`, { source });
    stats.projection = { rows: d.projection.rows, data };
  }
  if (d.whitening) {
    const basis = b64ToF32(d.whitening.basis);
    const coef = b64ToF32(d.whitening.coef);
    if (basis.length !== d.whitening.rank * d.dim || coef.length !== d.whitening.rank) {
      throw new GlovesError('STATS_INVALID', `population statistics ${source}: whitening size mismatch`, { source });
    }
    stats.whitening = { rank: d.whitening.rank, basis, coef, shrink: d.whitening.shrink };
  }
  if (d.recipe) stats.recipe = d.recipe;
  if (d.cohort) {
    const data = b64ToF32(d.cohort.data);
    if (data.length !== d.cohort.rows * d.dim)
      throw new GlovesError('STATS_INVALID', `population statistics ${source}: cohort size mismatch`, { source });
    stats.cohort = { rows: d.cohort.rows, data };
  }
  return stats;
}

export function serializeStats(s: PopulationStats, provenance: string): StatsDoc {
  return {
    format: 'gloves-population-stats',
    embedderModelId: s.embedderModelId,
    provenance,
    dim: s.dim,
    mean: f32ToB64(s.mean),
    ...(s.projection ? { projection: { rows: s.projection.rows, data: f32ToB64(s.projection.data) } } : {}),
    ...(s.whitening
      ? {
          whitening: {
            rank: s.whitening.rank,
            basis: f32ToB64Half(s.whitening.basis),
            coef: f32ToB64(s.whitening.coef),
            shrink: s.whitening.shrink,
          },
        }
      : {}),
    ...(s.recipe ? { recipe: s.recipe } : {}),
    ...(s.cohort ? { cohort: { rows: s.cohort.rows, data: f32ToB64Half(s.cohort.data) } } : {}),
    calibration: s.calibration,
  };
}

/** Load the statistics for this embedder from `dir`; undefined when none ship for it. */
export function loadStats(dir: string, embedderModelId: string): PopulationStats | undefined {
  const file = join(dir, statsFileName(embedderModelId));
  if (!existsSync(file)) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GlovesError('STATS_INVALID', `population statistics ${file} are not valid JSON`, { file }, { cause: err });
  }
  const s = parseStats(obj, file);
  if (s.embedderModelId !== embedderModelId) {
    throw new GlovesError('STATS_MODEL_MISMATCH', `population statistics ${file} are for ${s.embedderModelId}, not ${embedderModelId}`, {
      file,
    });
  }
  return s;
}

/** Apply the population transform to one L2-normalised embedding; returns a new unit vector. */
export function applyTransform(x: Float32Array, s: PopulationStats | undefined): Float32Array {
  if (!s) return l2normalize(Float32Array.from(x));
  if (x.length !== s.dim) throw new GlovesError('EMBEDDING_DIM_MISMATCH', `embedding has ${x.length} values, statistics expect ${s.dim}`);
  const c = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) c[i] = x[i]! - s.mean[i]!;
  if (s.whitening) return l2normalize(applyLowRank(c, s.whitening, s.dim));
  if (!s.projection) return l2normalize(c);
  const { rows, data } = s.projection;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const o = r * s.dim;
    for (let i = 0; i < s.dim; i++) acc += data[o + i]! * c[i]!;
    out[r] = acc;
  }
  return l2normalize(out);
}

/** c + B^T diag(coef) B c, for B [rank x dim] row-major (a new vector). */
export function applyLowRank(c: Float32Array, w: { rank: number; basis: Float32Array; coef: Float32Array }, dim: number): Float32Array {
  const out = Float32Array.from(c);
  for (let r = 0; r < w.rank; r++) {
    const o = r * dim;
    let p = 0;
    for (let i = 0; i < dim; i++) p += w.basis[o + i]! * c[i]!;
    const k = p * w.coef[r]!;
    for (let i = 0; i < dim; i++) out[i] = out[i]! + k * w.basis[o + i]!;
  }
  return out;
}

/**
 * Local background: cats this device has seen often that are NOT pets (frequent
 * visitors, presence/visitors.ts). A query closer to such a cat than to a pet loses
 * score against that pet (matcher.ts scorePets), so the cats that really come to
 * this door stop being confused with the pets they resemble.
 *
 * The rows come through a port (LocalBackgroundSource): recognition does not know
 * visitors; the runtime wires the visitor recorder in. Each background cat is one
 * row: the mean of its kept embeddings after the population transform (the same
 * prototype the visitor book clusters with).
 *
 * Guard: a visitor may BE a pet (seen before it was enrolled, or while its track
 * stayed unknown). A row the matcher would (nearly) name as a pet is not used against
 * that pet: its score against the pet (cosine to the pet's mean minus the rule's spread
 * term, as for a query) >= threshold - `guard`. Relative to the pet's own bar, not a fixed
 * cosine: a pet whose photos vary (small spread) has low cosines even to its own mean, so
 * a fixed cosine let such a pet's visitor poison it (bench/visitors.ts: a whitened cosine
 * of 0.45 protected too few). Out of fold on the shared cats, a visitor made of 3 photos
 * of the pet scores >= threshold - 0.1 for 95-99% of same-cat pairs, another cat for
 * 1-5%; the default guard, 0.2, is the smallest that lost no pet's track in that bench
 * (0.1 lost 2 of 140 at folds 3; 0 lost 2 of 38 when the pets had been visitors before
 * their enrolment). It also shields a look-alike stranger that scores just below a pet's
 * threshold: the price of never poisoning a pet.
 */
import { applyTransform, type PopulationStats } from './stats.js';
import { dot, unitMean } from './linalg.js';

/** Where the background cats come from (the daemon: the visitor recorder). */
export interface LocalBackgroundSource {
  /**
   * Raw (untransformed) L2-normalised embeddings of each background cat, one group per cat, in
   * `embedderModelId`'s space (none when the source's embeddings are of another embedder). The SAME
   * array is returned while nothing changed: the matcher rebuilds its rows only when it differs.
   */
  groups(embedderModelId: string): readonly (readonly Float32Array[])[];
}

export interface LocalBackgroundOptions {
  source: LocalBackgroundSource;
  /** A pet's score loses weight x (nearest background cosine - cosine to the pet), when positive. 0 = off. */
  weight: number;
  /** A background row scoring >= the rule's threshold - guard against a pet is not used against that pet. */
  guard: number;
}

/** What the guard needs of the decision rule (matcher.ts DecisionRule). */
export interface GuardRule {
  threshold: number;
  spreadWeight: number;
}

/**
 * The population transform of raw embeddings, remembered per embedding object (kept crops'
 * embeddings are long-lived), so that rebuilding the rows when the visitors change costs
 * no whitening of the unchanged ones (50 visitors of 5 crops: about 0.3 s uncached on a
 * loaded 2-core machine). Undefined for an embedding of another dimension (a model swap
 * not yet re-embedded).
 */
export function cachedTransform(stats: PopulationStats | undefined): (e: Float32Array) => Float32Array | undefined {
  const cache = new WeakMap<Float32Array, Float32Array>();
  return (e) => {
    if (stats && e.length !== stats.dim) return undefined;
    let t = cache.get(e);
    if (!t) {
      t = applyTransform(e, stats);
      cache.set(e, t);
    }
    return t;
  };
}

/** Per pet: the background rows usable against it. */
export type LocalRows = ReadonlyMap<string, readonly Float32Array[]>;

/**
 * The rows usable against each pet (pure): each group becomes the unit mean of its transformed
 * embeddings; groups the transform refuses or of another dimension than the pets' (a model swap
 * not yet re-embedded) are skipped; a row whose score against a pet (cosine to the unit mean of its vectors minus
 * spreadWeight x its spread) is >= threshold - guard is left out for that pet.
 */
export function localRows(
  groups: readonly (readonly Float32Array[])[],
  pets: readonly { petId: string; vectors: readonly Float32Array[]; spread: number }[],
  transform: (e: Float32Array) => Float32Array | undefined,
  rule: GuardRule,
  guard: number,
): LocalRows {
  const dim = pets[0]?.vectors[0]?.length;
  const rows: Float32Array[] = [];
  for (const g of groups) {
    const t = g.map(transform);
    if (t.length === 0 || t.some((x) => !x || (dim !== undefined && x.length !== dim))) continue;
    rows.push(unitMean(t as Float32Array[]));
  }
  const out = new Map<string, Float32Array[]>();
  for (const p of pets) {
    const proto = unitMean(p.vectors);
    const bar = rule.threshold - guard + rule.spreadWeight * p.spread;
    out.set(
      p.petId,
      rows.filter((r) => dot(r, proto) < bar),
    );
  }
  return out;
}

/** How much closer `q` is to its nearest row than to the pet (`petCosine`); 0 when it is not closer. */
export function localExcess(q: Float32Array, rows: readonly Float32Array[] | undefined, petCosine: number): number {
  if (!rows || rows.length === 0) return 0;
  let best = -Infinity;
  for (const r of rows) best = Math.max(best, dot(q, r));
  return Math.max(0, best - petCosine);
}

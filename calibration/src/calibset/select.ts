/**
 * Representative subset selection (pure, deterministic): k-center greedy on
 * feature vectors. Every stratum (e.g. animal x lighting) present in the pool
 * is seeded with its most central member first, so that small strata (night
 * frames, empty frames) are covered; then the frame farthest from everything
 * chosen so far is added until `size`. Ties go to the lower index.
 */
export interface Candidate {
  features: Float64Array;
  stratum: string;
}

export function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

function centralIndex(items: readonly Candidate[], members: number[]): number {
  const dim = items[members[0]!]!.features.length;
  const mean = new Float64Array(dim);
  for (const i of members) for (let k = 0; k < dim; k++) mean[k]! += items[i]!.features[k]! / members.length;
  let best = members[0]!;
  let bestD = Infinity;
  for (const i of members) {
    const d = distance(items[i]!.features, mean);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

export function kCenterGreedy(items: readonly Candidate[], size: number): number[] {
  const n = items.length;
  if (size >= n) return items.map((_, i) => i);
  const strata = new Map<string, number[]>();
  items.forEach((c, i) => strata.set(c.stratum, [...(strata.get(c.stratum) ?? []), i]));
  const chosen: number[] = [];
  for (const key of [...strata.keys()].sort()) if (chosen.length < size) chosen.push(centralIndex(items, strata.get(key)!));
  const minD = new Float64Array(n).fill(Infinity);
  const update = (j: number): void => {
    for (let i = 0; i < n; i++) {
      const d = distance(items[i]!.features, items[j]!.features);
      if (d < minD[i]!) minD[i] = d;
    }
  };
  chosen.forEach(update);
  while (chosen.length < size) {
    let far = -1;
    let farD = -1;
    for (let i = 0; i < n; i++)
      if (minD[i]! > farD) {
        farD = minD[i]!;
        far = i;
      }
    chosen.push(far);
    update(far);
  }
  return chosen;
}

/** Coverage radius: the largest distance from any item to its nearest selected item (smaller = more representative). */
export function coverageRadius(items: readonly Candidate[], selected: readonly number[]): number {
  let worst = 0;
  for (const it of items) {
    let best = Infinity;
    for (const j of selected) best = Math.min(best, distance(it.features, items[j]!.features));
    worst = Math.max(worst, best);
  }
  return worst;
}

/** Mean distance from each selected item to its nearest other selected item (larger = less redundant). */
export function meanNearestNeighbour(items: readonly Candidate[], selected: readonly number[]): number {
  if (selected.length < 2) return 0;
  let sum = 0;
  for (const i of selected) {
    let best = Infinity;
    for (const j of selected) if (j !== i) best = Math.min(best, distance(items[i]!.features, items[j]!.features));
    sum += best;
  }
  return sum / selected.length;
}

export function strataCounts(items: readonly Candidate[], idx: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of idx) out[items[i]!.stratum] = (out[items[i]!.stratum] ?? 0) + 1;
  return out;
}

/**
 * Optimal one-to-one assignment (Hungarian / Kuhn-Munkres, O(n^3)) on a
 * rectangular score matrix. Used for detection-to-track association (score =
 * IoU) and for naming tracks (score = identity evidence), so that one detection
 * continues at most one track and two tracks never receive the same pet.
 *
 * Contract: `scores[i][j]` is the benefit of pairing row i with column j; pairs
 * whose score is below `minScore` (or not finite) are never returned. The
 * returned pairs maximise the total score among admissible pairs.
 */
export interface Pair {
  row: number;
  col: number;
  score: number;
}

export function assignMax(scores: readonly (readonly number[])[], minScore: number): Pair[] {
  const rows = scores.length;
  const cols = rows === 0 ? 0 : Math.max(...scores.map((r) => r.length));
  if (rows === 0 || cols === 0) return [];
  const n = Math.max(rows, cols);
  // Admissible pairs get cost -score shifted to be positive; forbidden ones a cost
  // larger than any admissible total, so they are only chosen when nothing else is
  // left (and then dropped from the answer).
  let maxScore = 0;
  for (const r of scores) for (const v of r) if (Number.isFinite(v) && v >= minScore) maxScore = Math.max(maxScore, v);
  const forbidden = (maxScore + 1) * (n + 1);
  const cost: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      const v = i < rows && j < cols ? scores[i]![j] : undefined;
      row.push(v !== undefined && Number.isFinite(v) && v >= minScore ? maxScore - v : forbidden);
    }
    cost.push(row);
  }
  const match = hungarian(cost);
  const out: Pair[] = [];
  for (let i = 0; i < rows; i++) {
    const j = match[i]!;
    if (j < 0 || j >= cols) continue;
    const v = scores[i]![j];
    if (v !== undefined && Number.isFinite(v) && v >= minScore) out.push({ row: i, col: j, score: v });
  }
  return out;
}

/** Minimum-cost perfect matching on a square matrix; returns column per row. */
function hungarian(cost: number[][]): number[] {
  const n = cost.length;
  const INF = Number.POSITIVE_INFINITY;
  // 1-based potentials formulation (u rows, v cols, p[col] = row matched to col).
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0);
  const way = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(INF);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}

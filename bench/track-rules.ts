/**
 * Track-level decision rules tried for `gloves eval --sequences L` (issue 10, point 4), with the
 * fold protocol (everything fitted per fold without the fold's cats), on a cache written by
 * bench/embed-cache.ts. Each rule decides every track of L photos twice: closed set (top1, all the
 * fold's cats enrolled) and open set (false_accept, the track's cat left out). Prints one JSON line per
 * rule and fold count.
 *
 * Rules: the shipped LLR sum (tracking/voting.ts) at other name bars; every frame's llr lowered by a
 * constant (a per-frame prior against naming); llr shifted to 0 at the per-frame threshold; the mean
 * of the track's whitened embeddings scored once at the per-frame threshold; the LLR sum plus "at
 * least M photos clear the per-frame threshold alone".
 *
 * usage: node --import tsx bench/track-rules.ts CACHE.json [--sequences L=5]
 */
import { readFileSync } from 'node:fs';
import { loadEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';
import { crossValidate, DEFAULT_RECIPE, type FoldResult } from '../daemon/src/evaluation/crossval.js';
import { splitShots } from '../daemon/src/evaluation/evaluate.js';
import { decideTrack } from '../daemon/src/evaluation/sequences.js';
import type { ScoredQuery } from '../daemon/src/evaluation/outcomes.js';
import { buildPrototypes, scorePets, type PetScore } from '../daemon/src/recognition/matching/matcher.js';
import { unitMean } from '../daemon/src/recognition/matching/linalg.js';
import type { EvidenceOptions } from '../daemon/src/tracking/voting.js';

const args = process.argv.slice(2);
const file = args[0];
if (!file) throw new Error('usage: track-rules.ts CACHE.json [--sequences L]');
const L = args.includes('--sequences') ? Number(args[args.indexOf('--sequences') + 1]) : 5;
const { embedderModelId, items } = loadEmbeddedCache(readFileSync(file, 'utf8'), file);

interface Track {
  pet: string;
  frames: { scores: PetScore[]; vector: Float32Array }[];
}
/** A rule: is this track named `pet` (closed set) / named anyone (open set, `pet` left out)? */
type Rule = (fold: FoldResult, t: Track) => { closed: string | null; open: string | null };

function tracksOf(fold: FoldResult): Track[] {
  const byPet = new Map<string, ScoredQuery[]>();
  for (const q of fold.queries) byPet.set(q.pet, [...(byPet.get(q.pet) ?? []), q]);
  const out: Track[] = [];
  for (const [pet, qs] of byPet) {
    const sorted = [...qs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (let s = 0; s + L <= sorted.length; s += L) {
      const frames = sorted.slice(s, s + L).flatMap((q) => (q.scores && q.vector ? [{ scores: q.scores, vector: q.vector }] : []));
      out.push({ pet, frames });
    }
  }
  return out;
}

const without = (t: Track): Track['frames'] => t.frames.map((f) => ({ ...f, scores: f.scores.filter((s) => s.petId !== t.pet) }));
const named = (d: ReturnType<typeof decideTrack>): string | null => (d.kind === 'pet' ? d.pet.petId : null);

/** The shipped evidence with other options, and every frame's llr moved by -shift(fold). */
const llrSum =
  (eo: Partial<EvidenceOptions>, shift: (f: FoldResult) => number = () => 0): Rule =>
  (fold, t) => {
    const c = shift(fold);
    const move = (fr: Track['frames']) => fr.map((f) => ({ ...f, scores: f.scores.map((s) => ({ ...s, llr: (s.llr ?? 0) - c })) }));
    return {
      closed: named(decideTrack(move(t.frames), fold.rule, { minVotes: 3 }, eo)),
      open: named(decideTrack(move(without(t)), fold.rule, { minVotes: 3 }, eo)),
    };
  };
const llrAtThreshold = (f: FoldResult): number => f.rule.llr!.slope * f.rule.threshold + f.rule.llr!.offset;

/** The LLR sum, naming only when at least `m` photos clear the per-frame threshold for that pet alone. */
const atLeast =
  (m: number): Rule =>
  (fold, t) => {
    const base = llrSum({})(fold, t);
    const clears = (fr: Track['frames'], pet: string | null): boolean =>
      pet !== null && fr.filter((f) => (f.scores.find((s) => s.petId === pet)?.score ?? -Infinity) >= fold.rule.threshold).length >= m;
    return { closed: clears(t.frames, base.closed) ? base.closed : null, open: clears(without(t), base.open) ? base.open : null };
  };

/** The mean of the track's whitened embeddings, scored once against the fold's prototypes at the per-frame threshold. */
const protosOf = new Map<FoldResult, ReturnType<typeof buildPrototypes>>();
const meanEmbedding: Rule = (fold, t) => {
  let protos = protosOf.get(fold);
  if (!protos) {
    const scored = new Set(fold.scored);
    const { enrol } = splitShots(
      items.filter((i) => scored.has(i.pet)),
      DEFAULT_RECIPE.shots,
    );
    protos = buildPrototypes(
      [...enrol.entries()].map(([id, embeddings]) => ({ id, name: id, embeddings })),
      fold.rule,
      fold.stats,
    );
    protosOf.set(fold, protos);
  }
  const scores = scorePets(unitMean(t.frames.map((f) => f.vector)), protos, fold.rule, fold.stats);
  const best = (xs: PetScore[]): string | null => (xs[0] && xs[0].score >= fold.rule.threshold ? xs[0].petId : null);
  return { closed: best(scores), open: best(scores.filter((s) => s.petId !== t.pet)) };
};

const rules: [string, Rule][] = [
  ['shipped: LLR sum, name at 3, margin 2, clip 4', llrSum({})],
  ...[4, 5, 6].map((n): [string, Rule] => [`LLR sum, name at ${n}`, llrSum({ nameLlr: n })]),
  ...[1, 1.5, 2].map((c): [string, Rule] => [`every frame's llr - ${c}`, llrSum({}, () => c)]),
  ['llr shifted to 0 at the per-frame threshold', llrSum({}, llrAtThreshold)],
  ['llr shifted to 1 at the per-frame threshold', llrSum({}, (f) => llrAtThreshold(f) - 1)],
  ['mean embedding of the track, per-frame threshold', meanEmbedding],
  ...[2, 3].map((m): [string, Rule] => [`LLR sum and >= ${m} photos clear the threshold alone`, atLeast(m)]),
];

for (const folds of [3, 5]) {
  const cv = crossValidate(items, embedderModelId, folds, { ...DEFAULT_RECIPE });
  for (const [name, rule] of rules) {
    let n = 0;
    let top1 = 0;
    let fa = 0;
    const wrong: string[] = [];
    for (const fold of cv.folds)
      for (const t of tracksOf(fold)) {
        const d = rule(fold, t);
        n++;
        if (d.closed === t.pet) top1++;
        if (d.open !== null) {
          fa++;
          wrong.push(`${t.pet}->${d.open}`);
        }
      }
    const r3 = (x: number): number => Math.round(x * 1000) / 1000;
    console.log(
      JSON.stringify({ folds, length: L, rule: name, tracks: n, top1: r3(top1 / n), false_accept: r3(fa / n), false_accepts: wrong }),
    );
  }
}

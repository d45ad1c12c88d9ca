/**
 * Track-level evaluation (`gloves eval --folds N --sequences L`), pure.
 *
 * Each scored pet's query photos, in name order, are cut into tracks of L photos
 * (a shorter remainder is dropped). Each track goes through the daemon's own
 * evidence accumulation and decision (tracking/voting.ts) as one track, bypassing
 * box association since photos are not frames; photos without a detection add no
 * frame. Closed set (all the fold's pets enrolled): top1 = tracks named correctly.
 * Open set (the track's pet left out): false_accept = tracks named anything.
 * Pets, statistics and rules are those of the cross-validation folds, so nothing
 * learned has seen the track's pet.
 */
import { Evidence, type EvidenceOptions, type TrackIdentity, type VoteOptions } from '../tracking/voting.js';
import type { CrossValidation } from './crossval.js';
import type { ScoredQuery } from './outcomes.js';
import { decide, type PetScore } from '../recognition/matching/matcher.js';

export interface SequenceResult {
  length: number;
  tracks: number;
  top1: number;
  false_accept: number;
  /** Tracks still undecided after L photos (closed set). */
  pending: number;
}

const noNames: ReadonlyMap<string, string> = new Map();

export function decideTrack(
  frames: readonly { scores: PetScore[]; vector: Float32Array }[],
  rule: Parameters<typeof decide>[2],
  vote: VoteOptions,
  eo?: Partial<EvidenceOptions>,
): TrackIdentity {
  const e = new Evidence(eo);
  frames.forEach((f, i) => e.add(decide(f.scores, noNames, rule), { embedding: f.vector, timeMs: i * 1000 }));
  return e.decide(vote);
}

export function evaluateSequences(
  cv: CrossValidation,
  length: number,
  vote: VoteOptions = { minVotes: 3 },
  eo?: Partial<EvidenceOptions>,
): SequenceResult {
  let tracks = 0;
  let correct = 0;
  let fa = 0;
  let pending = 0;
  for (const fold of cv.folds) {
    const byPet = new Map<string, ScoredQuery[]>();
    for (const q of fold.queries) byPet.set(q.pet, [...(byPet.get(q.pet) ?? []), q]);
    for (const [pet, qs] of byPet) {
      const sorted = [...qs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      for (let s = 0; s + length <= sorted.length; s += length) {
        const chunk = sorted.slice(s, s + length).filter((q) => q.scores && q.vector);
        const frames = chunk.map((q) => ({ scores: q.scores!, vector: q.vector! }));
        const closed = decideTrack(frames, fold.rule, vote, eo);
        const open = decideTrack(
          frames.map((f) => ({ ...f, scores: f.scores.filter((x) => x.petId !== pet) })),
          fold.rule,
          vote,
          eo,
        );
        tracks++;
        if (closed.kind === 'pet' && closed.pet.petId === pet) correct++;
        if (closed.kind === 'pending') pending++;
        if (open.kind === 'pet') fa++;
      }
    }
  }
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const n = tracks || 1;
  return { length, tracks, top1: r3(correct / n), false_accept: r3(fa / n), pending: r3(pending / n) };
}

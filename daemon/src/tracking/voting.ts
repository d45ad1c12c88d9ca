/**
 * Identity voting: a track's identity comes from the evidence of all its
 * frames, never from one frame.
 *
 * Each frame's MatchResult adds its confidence to the candidate it named (a pet,
 * or "unknown" for null). A track is named when it has at least `minVotes`
 * frames and its leading candidate's mean confidence over *all* of the track's
 * frames reaches `minConfidence`; so a pet that wins only some of the frames, or
 * wins them weakly, stays undecided. `resolveIdentities` then makes the naming
 * one-to-one across the tracks visible in a frame.
 */
import type { Identity, MatchResult } from '../recognition/types.js';
import { assignMax } from './assignment.js';

export interface VoteOptions {
  /** Frames of evidence before a track may be named (or declared unknown). */
  minVotes: number;
  /** Mean per-frame confidence the winner needs, counted over all frames of the track. */
  minConfidence: number;
}

export type TrackIdentity =
  | { kind: 'pending' }
  | { kind: 'pet'; pet: Identity; confidence: number }
  | { kind: 'unknown'; confidence: number };

export class Evidence {
  frames = 0;
  unknown = 0;
  readonly pets = new Map<string, { pet: Identity; weight: number }>();

  add(match: MatchResult): void {
    this.frames++;
    const c = clamp01(match.confidence);
    if (match.pet) {
      const cur = this.pets.get(match.pet.petId);
      if (cur) cur.weight += c;
      else this.pets.set(match.pet.petId, { pet: match.pet, weight: c });
    } else {
      this.unknown += c;
    }
  }

  /** Mean confidence that the track is this pet (0 when never voted for). */
  petConfidence(petId: string): number {
    return this.frames === 0 ? 0 : (this.pets.get(petId)?.weight ?? 0) / this.frames;
  }

  unknownConfidence(): number {
    return this.frames === 0 ? 0 : this.unknown / this.frames;
  }

  /** The track's own decision, ignoring the other tracks. */
  decide(opts: VoteOptions): TrackIdentity {
    if (this.frames < opts.minVotes) return { kind: 'pending' };
    let best: { pet: Identity; weight: number } | undefined;
    for (const p of this.pets.values()) if (!best || p.weight > best.weight) best = p;
    const petConf = best ? best.weight / this.frames : 0;
    const unkConf = this.unknownConfidence();
    if (best && petConf >= unkConf && petConf >= opts.minConfidence) return { kind: 'pet', pet: best.pet, confidence: petConf };
    if (unkConf > petConf && unkConf >= opts.minConfidence) return { kind: 'unknown', confidence: unkConf };
    return { kind: 'pending' };
  }
}

/**
 * One-to-one naming of simultaneously visible tracks: maximises the summed
 * per-pet confidence so two tracks never get the same pet. A track that loses
 * its pet to a stronger track falls back to its next admissible pet, else to
 * `pending` (it may well be that pet, so it is not declared unknown).
 */
export function resolveIdentities(evidence: readonly Evidence[], opts: VoteOptions): TrackIdentity[] {
  const own = evidence.map((e) => e.decide(opts));
  const candidates = new Map<string, Identity>();
  evidence.forEach((e, i) => {
    if (own[i]!.kind !== 'pet') return;
    for (const { pet } of e.pets.values()) candidates.set(pet.petId, pet);
  });
  const pets = [...candidates.values()];
  if (pets.length === 0) return own;
  const rows = own.map((d, i) => (d.kind === 'pet' ? i : -1)).filter((i) => i >= 0);
  const scores = rows.map((i) => pets.map((p) => evidence[i]!.petConfidence(p.petId)));
  const pairs = assignMax(scores, opts.minConfidence);
  const out = own.slice();
  for (const i of rows) out[i] = { kind: 'pending' };
  for (const { row, col, score } of pairs) {
    const i = rows[row]!;
    // The reassigned pet must still beat the track's unknown evidence.
    if (score >= evidence[i]!.unknownConfidence()) out[i] = { kind: 'pet', pet: pets[col]!, confidence: score };
  }
  return out;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

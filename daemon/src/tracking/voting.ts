/**
 * Identity evidence of a track: a sum of calibrated log-likelihood ratios, never a
 * mean of confidences, and never one frame alone.
 *
 * Each frame's MatchResult carries, per enrolled pet, llr = log P(score | it is this
 * pet) / P(score | another cat) (fitted out of sample with the population statistics,
 * see evaluation/calibrate.ts fitLlr). A frame adds w * clip(llr) to every pet's
 * sum, w in [0,1] being how INFORMATIVE the frame is: a box too small to judge adds
 * nothing, a crop much blurrier than the track's recent crops at the same scale adds
 * little or nothing (a running cat's motion blur), and a view almost identical to one
 * already counted in the last `viewTtlMs` adds (close to) nothing, so 30 identical frames of a sleeping cat count
 * about once per `viewTtlMs`, not thirty times. So ten marginal rejections (llr -0.5
 * each, from ten different views) make a confident unknown, and ten marginal
 * accepts a confident name.
 *
 * Decision (after `minVotes` frames): the leading pet when its sum >= nameLlr and it
 * leads the runner-up by >= marginLlr; unknown when every pet's sum <= unknownLlr;
 * else pending. A track whose recent views (the last `window` informative frames)
 * contradict its decision has TURNED (another cat at the same spot, a scene cut):
 * the tracker splits it (tracker.ts).
 *
 * MatchResults without per-pet llr (a matcher without LLR calibration) count as
 * logit(confidence) for the named pet (or against every pet for unknown).
 */
import type { Identity, MatchResult } from '../recognition/types.js';
import type { Box } from '../recognition/types.js';
import { assignMax } from './assignment.js';
import { dot } from '../recognition/matching/linalg.js';

export interface VoteOptions {
  /** Frames seen before a track may be named (or declared unknown). */
  minVotes: number;
  /** Unused by LLR evidence; kept for configuration compatibility. */
  minConfidence?: number;
}

export interface EvidenceOptions {
  nameLlr: number;
  unknownLlr: number;
  marginLlr: number;
  /** Per-frame llr is clipped to [-clip, clip]: no single frame decides. */
  clip: number;
  /** Raw-embedding cosine to a counted view: <= novelLo counts fully, >= novelHi not at all. */
  novelLo: number;
  novelHi: number;
  /** A counted view is forgotten after this long (a still animal counts again). */
  viewTtlMs: number;
  /** Boxes with a side below this many pixels are not informative. */
  minBoxSide: number;
  /**
   * Crop sharpness relative to the sharpest of the track's crops in the last blurMemoryMs whose box
   * area is within a factor blurScale of this one: at or above blurHi a frame counts fully, at or
   * below blurLo not at all (motion blur, defocus: a worse look at the same cat). Only recent crops
   * at about the same scale compare: the measure is a 1-pixel gradient, which falls as a box grows
   * (a cat walking closer), and one outlier (a crop catching a door edge) must not mute the track.
   */
  blurLo: number;
  blurHi: number;
  blurMemoryMs: number;
  blurScale: number;
  /** Informative frames in the recent window used to detect a turned track. */
  window: number;
}

export const EVIDENCE_DEFAULTS: EvidenceOptions = {
  nameLlr: 3,
  unknownLlr: -3,
  marginLlr: 2,
  clip: 4,
  novelLo: 0.9,
  novelHi: 0.99,
  viewTtlMs: 1000,
  minBoxSide: 24,
  blurLo: 0.35,
  blurHi: 0.7,
  blurMemoryMs: 2000,
  blurScale: 1.5,
  window: 3,
};

export type TrackIdentity =
  { kind: 'pending' } | { kind: 'pet'; pet: Identity; confidence: number } | { kind: 'unknown'; confidence: number };

export interface FrameInfo {
  /** L2-normalised raw embedding (novelty); absent = always a new view. */
  embedding?: Float32Array;
  box?: Box;
  timeMs?: number;
  /** Crop sharpness (kernels/sharpness.ts; any scale, compared only within the track); absent = sharp. */
  sharpness?: number;
}

/** One frame's contribution: `base` to every pet, plus `delta` for the listed pets. */
interface Contribution {
  match: MatchResult;
  info: FrameInfo;
  weight: number;
  base: number;
  delta: Map<string, number>;
}

interface Look {
  t: number;
  /** Box area in pixels; undefined when the frame had no box (compares with every crop). */
  area: number | undefined;
  sharpness: number;
}

const boxArea = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/** Two crops are at about the same scale when their areas differ by at most a factor `k` (unknown areas always are). */
function sameScale(a: number | undefined, b: number | undefined, k: number): boolean {
  if (a === undefined || b === undefined || a <= 0 || b <= 0) return true;
  return Math.max(a, b) <= k * Math.min(a, b);
}

const logit = (p: number): number => Math.log(p / (1 - p));
const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

/** Per-pet clipped llrs of one match: a default for unlisted pets and the listed ones. */
export function frameLlrs(match: MatchResult, clip: number): { base: number; pets: Map<string, number> } {
  const c = (x: number): number => (Number.isFinite(x) ? Math.max(-clip, Math.min(clip, x)) : 0);
  const pets = new Map<string, number>();
  const listed = match.scores.filter((s) => s.llr !== undefined);
  if (listed.length > 0) {
    for (const s of listed) pets.set(s.petId, c(s.llr!));
    // A pet the matcher did not score (enrolled since) gets the least favourable listed value.
    return { base: Math.min(0, ...pets.values()), pets };
  }
  const conf = Math.min(1 - 1e-6, Math.max(1e-6, Number.isFinite(match.confidence) ? match.confidence : 0.5));
  if (!match.pet) return { base: c(-logit(conf)), pets };
  pets.set(match.pet.petId, c(logit(conf)));
  return { base: c(-logit(conf)), pets };
}

export class Evidence {
  /** Frames added (informative or not). */
  frames = 0;
  /** Sum of informative weights. */
  weight = 0;
  private base = 0;
  private readonly delta = new Map<string, number>();
  readonly names = new Map<string, Identity>();
  private views: { e: Float32Array; t: number }[] = [];
  /** Recent crops' sharpness (the references for blurLo/blurHi), newest last. */
  private looks: Look[] = [];
  private recent: Contribution[] = [];
  private readonly o: EvidenceOptions;

  constructor(opts: Partial<EvidenceOptions> = {}) {
    this.o = { ...EVIDENCE_DEFAULTS, ...opts };
  }

  /** How informative a frame is, in [0,1] (records it as a counted view when it counts). */
  informative(info: FrameInfo): number {
    const b = info.box;
    if (b && Math.min(b[2] - b[0], b[3] - b[1]) < this.o.minBoxSide) return 0;
    const sharp = this.sharpWeight(info);
    if (sharp <= 0) return 0;
    const e = info.embedding;
    if (!e) return sharp;
    const t = info.timeMs ?? 0;
    this.views = this.views.filter((v) => t - v.t < this.o.viewTtlMs && t >= v.t);
    let maxCos = -1;
    // Embeddings are L2-normalised (Embedder contract): cosine is the dot product.
    for (const v of this.views) maxCos = Math.max(maxCos, dot(v.e, e));
    const w = Math.max(0, Math.min(1, (this.o.novelHi - maxCos) / (this.o.novelHi - this.o.novelLo)));
    if (w > 0) {
      this.views.push({ e, t });
      if (this.views.length > 16) this.views.shift();
    }
    return w * sharp;
  }

  /** Weight in [0,1] of this crop's sharpness against the recent crops at about its scale (and remembers it). */
  private sharpWeight(info: FrameInfo): number {
    const s = info.sharpness;
    if (s === undefined || !Number.isFinite(s)) return 1;
    const t = info.timeMs ?? 0;
    const area = info.box ? boxArea(info.box) : undefined;
    this.looks = this.looks.filter((l) => t - l.t < this.o.blurMemoryMs && t >= l.t);
    let ref = s;
    for (const l of this.looks) if (sameScale(l.area, area, this.o.blurScale)) ref = Math.max(ref, l.sharpness);
    this.looks.push({ t, area, sharpness: s });
    if (this.looks.length > 16) this.looks.shift();
    if (ref <= 0) return 1;
    return Math.max(0, Math.min(1, (s / ref - this.o.blurLo) / (this.o.blurHi - this.o.blurLo)));
  }

  /** Add one frame; returns its informative weight. */
  add(match: MatchResult, info: FrameInfo = {}): number {
    this.frames++;
    if (match.pet) this.names.set(match.pet.petId, match.pet);
    const w = this.informative(info);
    if (w <= 0) return 0;
    const { base, pets } = frameLlrs(match, this.o.clip);
    const delta = new Map<string, number>();
    for (const [id, v] of pets) delta.set(id, v - base);
    this.apply(w, base, delta);
    this.recent.push({ match, info, weight: w, base, delta });
    if (this.recent.length > this.o.window) this.recent.shift();
    return w;
  }

  private apply(w: number, base: number, delta: ReadonlyMap<string, number>): void {
    this.weight += w;
    this.base += w * base;
    for (const [id, d] of delta) this.delta.set(id, (this.delta.get(id) ?? 0) + w * d);
  }

  /** Summed llr that the track is this pet. */
  petLlr(petId: string): number {
    return this.base + (this.delta.get(petId) ?? 0);
  }

  /** Pets ranked by summed llr (only pets some frame named or scored). */
  ranked(): { petId: string; llr: number }[] {
    return [...this.delta.keys()].map((petId) => ({ petId, llr: this.petLlr(petId) })).sort((a, b) => b.llr - a.llr);
  }

  decide(opts: VoteOptions): TrackIdentity {
    return decideSums(this.frames, this.ranked(), this.base, this.names, opts, this.o);
  }

  /** True when the recent window alone reaches a decided identity that contradicts the whole track's. */
  turned(opts: VoteOptions): boolean {
    if (this.recent.length < this.o.window) return false;
    const whole = this.decide(opts);
    if (whole.kind === 'pending') return false;
    const r = this.recentOnly();
    const now = decideSums(Infinity, r.ranked(), r.base, this.names, opts, this.o);
    if (now.kind === 'pending') return false;
    return now.kind !== whole.kind || (now.kind === 'pet' && whole.kind === 'pet' && now.pet.petId !== whole.pet.petId);
  }

  /** A fresh Evidence holding only the recent window (the split-off track's start). */
  recentOnly(): Evidence {
    const e = new Evidence(this.o);
    for (const c of this.recent) {
      e.frames++;
      e.apply(c.weight, c.base, c.delta);
      e.recent.push(c);
      if (c.match.pet) e.names.set(c.match.pet.petId, c.match.pet);
      if (c.info.embedding) e.views.push({ e: c.info.embedding, t: c.info.timeMs ?? 0 });
      if (c.info.sharpness !== undefined) {
        const area = c.info.box ? boxArea(c.info.box) : undefined;
        e.looks.push({ t: c.info.timeMs ?? 0, area, sharpness: c.info.sharpness });
      }
    }
    return e;
  }
}

function decideSums(
  frames: number,
  ranked: { petId: string; llr: number }[],
  base: number,
  names: ReadonlyMap<string, Identity>,
  opts: VoteOptions,
  o: EvidenceOptions,
): TrackIdentity {
  if (frames < opts.minVotes) return { kind: 'pending' };
  const best = ranked[0];
  const second = ranked[1]?.llr ?? base;
  if (best && best.llr >= o.nameLlr && best.llr - second >= o.marginLlr) {
    return { kind: 'pet', pet: names.get(best.petId) ?? { petId: best.petId, name: best.petId }, confidence: round3(logistic(best.llr)) };
  }
  const top = best ? Math.max(best.llr, base) : base;
  if (top <= o.unknownLlr) return { kind: 'unknown', confidence: round3(logistic(-top)) };
  return { kind: 'pending' };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * One-to-one naming of simultaneously visible tracks: maximises the summed per-pet
 * llr so two tracks never get the same pet. A track that loses its pet to a stronger
 * track falls back to its next pet that clears the bar, else to `pending` (it may
 * well be that pet, so it is not declared unknown).
 */
export function resolveIdentities(evidence: readonly Evidence[], opts: VoteOptions, eo: Partial<EvidenceOptions> = {}): TrackIdentity[] {
  const o = { ...EVIDENCE_DEFAULTS, ...eo };
  const own = evidence.map((e) => e.decide(opts));
  const rows = own.map((d, i) => (d.kind === 'pet' ? i : -1)).filter((i) => i >= 0);
  if (rows.length < 2) return own;
  const candidates = new Map<string, Identity>();
  for (const i of rows) for (const [id, pet] of evidence[i]!.names) candidates.set(id, pet);
  for (const i of rows) {
    const d = own[i]!;
    if (d.kind === 'pet') candidates.set(d.pet.petId, d.pet);
  }
  const pets = [...candidates.values()];
  const scores = rows.map((i) => pets.map((p) => evidence[i]!.petLlr(p.petId)));
  const pairs = assignMax(scores, o.nameLlr);
  const out = own.slice();
  for (const i of rows) out[i] = { kind: 'pending' };
  for (const { row, col, score } of pairs) out[rows[row]!] = { kind: 'pet', pet: pets[col]!, confidence: round3(logistic(score)) };
  return out;
}

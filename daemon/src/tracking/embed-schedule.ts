/**
 * Which detections of a frame are worth embedding (the embedder is the most
 * expensive stage after detection, and was run on every animal on every frame).
 *
 * A detection that continues no track is NEW: embedded (it needs evidence and
 * the appearance gate). A track is UNCERTAIN while its identity is pending or
 * decided with confidence below `settledConfidence`: embedded every
 * `uncertainEveryMs` (0: every frame), since every informative frame brings
 * its decision closer. A SETTLED track (named or unknown, confidence at least
 * `settledConfidence`) is embedded every `settledEveryMs`, or at once when its
 * view changed since its last embedding: box area or aspect ratio changed by
 * the given factors either way (it turned, stood up, came closer), or the crop
 * got sharper by `viewSharper` (it stopped moving: a better look), or the crop's
 * mean colour moved by more than `viewColour` levels in a channel (another animal
 * or a scene cut in the same box: what the tracker's appearance gate would
 * catch if the detection were embedded).
 *
 * Why these defaults: track evidence (./voting.ts) counts a near-identical view
 * about once per second (viewTtlMs), so embedding an unchanged settled view
 * more often than that adds nothing; every 2 s still re-checks who it is, and
 * a changed view, which is what a different animal at the same spot looks
 * like, is embedded at once. New and uncertain tracks keep every frame, so the
 * time to a first decision does not change.
 *
 * Flip test-time augmentation (the mirrored crop averaged in, twice the cost)
 * helps where a decision is being made: new and uncertain tracks use the
 * embedder's default (matching.flipTta, also used at enrolment); settled tracks
 * are embedded without it.
 *
 * Pure: the caller passes times, boxes and sharpness; state is per track id.
 */
import type { Box } from '../recognition/types.js';
import type { TrackIdentity } from './voting.js';

export interface EmbedScheduleOptions {
  /** Uncertain tracks: minimum ms between embeddings (0: every frame). */
  uncertainEveryMs: number;
  /** Settled tracks: ms between embeddings when the view does not change. */
  settledEveryMs: number;
  /** A decided track with at least this confidence is settled. */
  settledConfidence: number;
  /** Box area ratio (either way) since the last embedding that is a new view. */
  viewArea: number;
  /** Box aspect ratio change (either way) that is a new view. */
  viewAspect: number;
  /** Crop sharpness ratio (sharper only) that is a new view. */
  viewSharper: number;
  /** Crop mean colour change (levels, any channel) that is a new view. */
  viewColour: number;
}

export type EmbedReason = 'new' | 'uncertain' | 'settled' | 'view' | 'skip';

export interface EmbedPlan {
  embed: boolean;
  /** Average with the mirrored crop (only meaningful when embed). */
  flip: boolean;
  reason: EmbedReason;
}

/** What the schedule needs of the track a detection continues (a TrackView satisfies it). */
export interface ScheduledTrack {
  id: number;
  identity: TrackIdentity;
}

interface LastEmbedding {
  timeMs: number;
  box: Box;
  sharpness: number;
  colour?: readonly number[];
}

const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
const aspect = (b: Box): number => Math.max(1e-6, b[2] - b[0]) / Math.max(1e-6, b[3] - b[1]);
const ratio = (a: number, b: number): number => (a > 0 && b > 0 ? Math.max(a / b, b / a) : Infinity);

/** Whether the identity is settled enough to embed rarely. */
export function isSettled(identity: TrackIdentity, settledConfidence: number): boolean {
  return identity.kind !== 'pending' && identity.confidence >= settledConfidence;
}

/** The view-change test against the last embedding. */
export function viewChanged(
  last: LastEmbedding,
  box: Box,
  sharpness: number,
  o: EmbedScheduleOptions,
  colour?: readonly number[],
): boolean {
  if (ratio(area(box), area(last.box)) >= o.viewArea) return true;
  if (colour && last.colour && colour.some((c, i) => Math.abs(c - last.colour![i]!) > o.viewColour)) return true;
  if (ratio(aspect(box), aspect(last.box)) >= o.viewAspect) return true;
  return last.sharpness > 0 ? sharpness >= last.sharpness * o.viewSharper : sharpness > 0;
}

export class EmbedSchedule {
  private readonly o: EmbedScheduleOptions;
  private readonly last = new Map<number, LastEmbedding>();
  /** Embeddings and skips since construction, by reason. */
  readonly counters: Record<EmbedReason, number> & { flipped: number } = {
    new: 0,
    uncertain: 0,
    settled: 0,
    view: 0,
    skip: 0,
    flipped: 0,
  };

  constructor(o: EmbedScheduleOptions) {
    this.o = o;
  }

  /**
   * The plan for one detection: `track` is the live track it continues (null: a new animal).
   * `flipDefault` is the embedder's configured flip (matching.flipTta).
   */
  plan(
    track: ScheduledTrack | null,
    box: Box,
    sharpness: number,
    nowMs: number,
    flipDefault: boolean,
    colour?: readonly number[],
  ): EmbedPlan {
    const p = this.decide(track, box, sharpness, nowMs, flipDefault, colour);
    this.counters[p.reason]++;
    if (p.embed && p.flip) this.counters.flipped++;
    return p;
  }

  private decide(
    track: ScheduledTrack | null,
    box: Box,
    sharpness: number,
    nowMs: number,
    flipDefault: boolean,
    colour?: readonly number[],
  ): EmbedPlan {
    const last = track ? this.last.get(track.id) : undefined;
    if (!track || !last) return { embed: true, flip: flipDefault, reason: 'new' };
    const since = nowMs - last.timeMs;
    if (!isSettled(track.identity, this.o.settledConfidence)) {
      return since >= this.o.uncertainEveryMs ? { embed: true, flip: flipDefault, reason: 'uncertain' } : skip;
    }
    if (viewChanged(last, box, sharpness, this.o, colour)) return { embed: true, flip: false, reason: 'view' };
    if (since >= this.o.settledEveryMs) return { embed: true, flip: false, reason: 'settled' };
    return skip;
  }

  /** Record that track `id` was embedded now at `box` (call after the tracker assigned the detection). */
  embedded(id: number, box: Box, sharpness: number, nowMs: number, colour?: readonly number[]): void {
    this.last.set(id, { timeMs: nowMs, box, sharpness, ...(colour ? { colour } : {}) });
  }

  /** Drop the state of tracks that ended. */
  retain(liveIds: Iterable<number>): void {
    const live = new Set(liveIds);
    for (const id of this.last.keys()) if (!live.has(id)) this.last.delete(id);
  }
}

const skip: EmbedPlan = { embed: false, flip: false, reason: 'skip' };

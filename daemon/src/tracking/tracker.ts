/**
 * Multi-object tracker: associates each frame's detections with live tracks by
 * optimal one-to-one IoU assignment (same label only, and, when embeddings are
 * given, only if the detection still looks like the track's last sighting:
 * cosine >= `appearanceGate`; so one animal stepping into the spot another just
 * left starts a new track instead of inheriting its identity), accumulates identity
 * evidence per track (calibrated LLR sums over informative frames) and names the
 * visible tracks one-to-one (./voting.ts). A track whose recent evidence turns
 * against its decision is split: it ends and a new track id continues from the
 * recent frames, so presence sees a new animal.
 *
 * Pure and synchronous: the caller passes frame times, so tests drive it directly.
 */
import type { AnimalLabel, Box, MatchResult } from '../recognition/types.js';
import { assignMax, type Pair } from './assignment.js';
import { iou } from '../kernels/nms.js';
import { Evidence, resolveIdentities, type EvidenceOptions, type TrackIdentity, type VoteOptions } from './voting.js';
import { cosine } from '../recognition/matching/linalg.js';

export interface TrackerOptions extends VoteOptions {
  /** Minimum IoU for a detection to continue a track. */
  iouMatch: number;
  /** Consecutive frames a track may go undetected before it ends. */
  maxMissedFrames: number;
  /** Minimum cosine between a detection's embedding and the track's last one (0 disables). */
  appearanceGate?: number;
  /** Evidence accumulation settings (defaults: voting.ts EVIDENCE_DEFAULTS). */
  evidence?: Partial<EvidenceOptions>;
}

export interface Observation {
  label: AnimalLabel;
  score: number;
  box: Box;
  /** Absent when the detection was not embedded this frame (./embed-schedule.ts): the track moves on, no evidence is added. */
  match?: MatchResult;
  /** L2-normalised appearance embedding, for the appearance gate. */
  embedding?: Float32Array;
  /** The crop's sharpness (kernels/sharpness.ts): blurred frames weigh less as evidence (voting.ts). */
  sharpness?: number;
}

export interface TrackView {
  id: number;
  label: AnimalLabel;
  box: Box;
  /** Index into this frame's observations, or -1 when the track was missed this frame. */
  observation: number;
  hits: number;
  missed: number;
  firstSeenMs: number;
  lastSeenMs: number;
  identity: TrackIdentity;
}

interface Track {
  id: number;
  label: AnimalLabel;
  box: Box;
  hits: number;
  missed: number;
  firstSeenMs: number;
  lastSeenMs: number;
  evidence: Evidence;
  identity: TrackIdentity;
  embedding: Float32Array | undefined;
}

/** Track ids 1, 2, 3, ... */
export function idCounter(): () => number {
  let next = 1;
  return () => next++;
}

export class Tracker {
  private readonly opts: TrackerOptions;
  private tracks: Track[] = [];
  private readonly newId: () => number;

  /** `newId`: track ids; the daemon shares one counter between its cameras' trackers, so a track id names one track on the device. */
  constructor(opts: TrackerOptions, newId: () => number = idCounter()) {
    this.opts = opts;
    this.newId = newId;
  }

  /** Feeds one frame; returns the tracks that are visible in it, with their identities. */
  update(observations: readonly Observation[], timeMs: number): TrackView[] {
    const live = this.tracks;
    const pairs = this.associate(observations);
    const obsToTrack = new Map<number, Track>();
    for (const p of pairs) obsToTrack.set(p.col, live[p.row]!);
    const seen = new Set<Track>();
    const visible: Track[] = [];
    observations.forEach((o, j) => {
      let t = obsToTrack.get(j);
      if (!t) {
        t = this.newTrack(o.label, o.box, timeMs, new Evidence(this.opts.evidence));
        live.push(t);
      }
      t.box = o.box;
      t.hits++;
      t.missed = 0;
      t.lastSeenMs = timeMs;
      if (o.match) {
        const info = {
          box: o.box,
          timeMs,
          ...(o.embedding ? { embedding: o.embedding } : {}),
          ...(o.sharpness !== undefined ? { sharpness: o.sharpness } : {}),
        };
        t.evidence.add(o.match, info);
      }
      if (o.embedding) t.embedding = o.embedding;
      if (o.match && t.evidence.turned(this.opts)) {
        // Split: the old track ends here; a new id continues from the recent frames only.
        const old = t;
        old.missed = this.opts.maxMissedFrames + 1;
        t = this.newTrack(o.label, o.box, timeMs, old.evidence.recentOnly());
        t.hits = t.evidence.frames;
        t.embedding = old.embedding;
        live.push(t);
        seen.add(old);
      }
      seen.add(t);
      visible.push(t);
    });
    for (const t of live) if (!seen.has(t)) t.missed++;
    // Split-off originals were marked as ended above.
    this.tracks = live.filter((t) => t.missed <= this.opts.maxMissedFrames);

    const ids = resolveIdentities(
      visible.map((t) => t.evidence),
      this.opts,
      this.opts.evidence,
    );
    visible.forEach((t, j) => (t.identity = ids[j]!));
    return visible.map((t, j) => view(t, j));
  }

  /**
   * The live track each detection would continue, judged before anything is embedded (box overlap and
   * label; the appearance gate applies to detections that carry an embedding): the embedding schedule's
   * view of a frame. update() associates the same way.
   */
  preview(detections: readonly Pick<Observation, 'label' | 'box' | 'embedding'>[]): (TrackView | null)[] {
    const out: (TrackView | null)[] = detections.map(() => null);
    for (const p of this.associate(detections)) out[p.col] = view(this.tracks[p.row]!, p.col);
    return out;
  }

  /** Optimal one-to-one pairs (row: live track, col: observation) by IoU, same label, appearance-gated. */
  private associate(observations: readonly Pick<Observation, 'label' | 'box' | 'embedding'>[]): Pair[] {
    const gate = this.opts.appearanceGate ?? 0;
    const scores = this.tracks.map((t) =>
      observations.map((o) => {
        if (o.label !== t.label) return -1;
        if (gate > 0 && t.embedding && o.embedding && cosine(t.embedding, o.embedding) < gate) return -1;
        return iou(t.box, o.box);
      }),
    );
    return assignMax(scores, Math.max(this.opts.iouMatch, Number.MIN_VALUE));
  }

  private newTrack(label: AnimalLabel, box: Box, timeMs: number, evidence: Evidence): Track {
    return {
      id: this.newId(),
      label,
      box,
      hits: 0,
      missed: 0,
      firstSeenMs: timeMs,
      lastSeenMs: timeMs,
      evidence,
      identity: { kind: 'pending' },
      embedding: undefined,
    };
  }

  /** Every live track (visible or recently missed). */
  all(): TrackView[] {
    return this.tracks.map((t) => view(t, -1));
  }
}

function view(t: Track, observation: number): TrackView {
  return {
    id: t.id,
    label: t.label,
    box: t.box,
    observation,
    hits: t.hits,
    missed: t.missed,
    firstSeenMs: t.firstSeenMs,
    lastSeenMs: t.lastSeenMs,
    identity: t.identity,
  };
}

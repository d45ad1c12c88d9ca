/**
 * Multi-object tracker: associates each frame's detections with live tracks by
 * optimal one-to-one IoU assignment (same label only, and, when embeddings are
 * given, only if the detection still looks like the track's last sighting:
 * cosine >= `appearanceGate`; so one animal stepping into the spot another just
 * left starts a new track instead of inheriting its identity), accumulates identity
 * evidence per track and names the visible tracks one-to-one (./voting.ts).
 *
 * Pure and synchronous: the caller passes frame times, so tests drive it directly.
 */
import type { AnimalLabel, Box, MatchResult } from '../recognition/types.js';
import { assignMax } from './assignment.js';
import { iou } from './geometry.js';
import { Evidence, resolveIdentities, type TrackIdentity, type VoteOptions } from './voting.js';

export interface TrackerOptions extends VoteOptions {
  /** Minimum IoU for a detection to continue a track. */
  iouMatch: number;
  /** Consecutive frames a track may go undetected before it ends. */
  maxMissedFrames: number;
  /** Minimum cosine between a detection's embedding and the track's last one (0 disables). */
  appearanceGate?: number;
}

export interface Observation {
  label: AnimalLabel;
  score: number;
  box: Box;
  match: MatchResult;
  /** L2-normalised appearance embedding, for the appearance gate. */
  embedding?: Float32Array;
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

export class Tracker {
  private readonly opts: TrackerOptions;
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(opts: TrackerOptions) {
    this.opts = opts;
  }

  /** Feeds one frame; returns the tracks that are visible in it, with their identities. */
  update(observations: readonly Observation[], timeMs: number): TrackView[] {
    const live = this.tracks;
    const gate = this.opts.appearanceGate ?? 0;
    const scores = live.map((t) =>
      observations.map((o) => {
        if (o.label !== t.label) return -1;
        if (gate > 0 && t.embedding && o.embedding && cosine(t.embedding, o.embedding) < gate) return -1;
        return iou(t.box, o.box);
      }),
    );
    const pairs = assignMax(scores, Math.max(this.opts.iouMatch, Number.MIN_VALUE));
    const obsToTrack = new Map<number, Track>();
    for (const p of pairs) obsToTrack.set(p.col, live[p.row]!);
    const seen = new Set<Track>();
    const visible: Track[] = [];
    observations.forEach((o, j) => {
      let t = obsToTrack.get(j);
      if (!t) {
        t = { id: this.nextId++, label: o.label, box: o.box, hits: 0, missed: 0, firstSeenMs: timeMs, lastSeenMs: timeMs, evidence: new Evidence(), identity: { kind: 'pending' }, embedding: undefined };
        live.push(t);
      }
      t.box = o.box;
      t.hits++;
      t.missed = 0;
      t.lastSeenMs = timeMs;
      t.evidence.add(o.match);
      if (o.embedding) t.embedding = o.embedding;
      seen.add(t);
      visible.push(t);
    });
    for (const t of live) if (!seen.has(t)) t.missed++;
    this.tracks = live.filter((t) => t.missed <= this.opts.maxMissedFrames);

    const ids = resolveIdentities(visible.map((t) => t.evidence), this.opts);
    visible.forEach((t, j) => (t.identity = ids[j]!));
    return visible.map((t, j) => view(t, j));
  }

  /** Every live track (visible or recently missed). */
  all(): TrackView[] {
    return this.tracks.map((t) => view(t, -1));
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function view(t: Track, observation: number): TrackView {
  return { id: t.id, label: t.label, box: t.box, observation, hits: t.hits, missed: t.missed, firstSeenMs: t.firstSeenMs, lastSeenMs: t.lastSeenMs, identity: t.identity };
}

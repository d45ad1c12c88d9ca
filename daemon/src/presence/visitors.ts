/**
 * Visitors: animals that are not enrolled, clustered over time into stable ids
 * (`visitor-3`). Pure and synchronous (no I/O, times passed in); storage is
 * ./visitor-store.ts, the daemon's adapter runtime/visitor-recorder.ts.
 *
 * - An unknown track is identified ONCE, on its first unknown frame, from the
 *   mean of its recent embeddings (the frames that led to the decision): it joins
 *   the visitor whose prototype (the mean of its kept embeddings) is closest, when
 *   that cosine is >= `threshold`; otherwise a new visitor is created. Each track
 *   adds one sighting to its visitor.
 * - Similarities are taken after `transform` (the matcher's population whitening):
 *   raw MobileNetV2 cosines of different cats overlap those of the same cat (see
 *   VISITOR_THRESHOLD for the measured distributions).
 * - Bounded: at most `maxVisitors` (the least recently seen is evicted when a new
 *   one arrives) and `maxCrops` crops (each with its embedding) per visitor; a crop
 *   is offered only when its view is new (cosine to every kept crop < `novelCosine`)
 *   or better (a bigger box) than the worst kept one.
 */
import { dot, unitMean } from '../recognition/matching/linalg.js';

/**
 * Default cosine (whitened) for a track to join a visitor, chosen on the 15 shared cats
 * with the whitening fitted OUT OF FOLD (3 folds, so the compared cats never shaped it):
 * mean of 3 photos vs mean of 3 other photos. With the shipped whitening (recipe
 * whiten-spread/3, shrink 16): same cat p10 0.42 / p50 0.60, different cats p95 0.33 /
 * p99 0.40 / max 0.51. At 0.45, 87% of same-cat pairs merge and 0.4% of different-cat
 * pairs (0.40: 92% / 1.1%; 0.50: 80% / 0.13%). A wrong merge (two cats, one id) is worse
 * than a split (one cat, two ids), so the stricter side. (With the earlier, stronger
 * whitening, shrink 0.5, 0.40 gave 88% / 0.27%.) Raw cosines cannot do it: at 0.85 they
 * merge 99% of same-cat pairs but 29% of different-cat ones.
 */
export const VISITOR_THRESHOLD = 0.45;

export interface VisitorCrop {
  /** File name of the JPEG, relative to the visitor's folder. */
  file: string;
  /** Larger is better (the box's smaller side, in pixels). */
  quality: number;
  /** Raw (untransformed) L2-normalised embedding. */
  embedding: Float32Array;
}

export interface Visitor {
  id: string;
  firstSeen: string;
  lastSeen: string;
  /** Tracks identified as this visitor. */
  sightings: number;
  crops: VisitorCrop[];
}

export interface VisitorsState {
  /** Number of the next visitor id (ids are never reused). */
  next: number;
  visitors: Visitor[];
}

export interface VisitorOptions {
  threshold: number;
  maxVisitors: number;
  maxCrops: number;
  /** Views at least this similar (raw cosine) to a kept crop are not new. */
  novelCosine: number;
  /** Embeddings kept per live track for its identification. */
  trackWindow: number;
  /** The space similarities are measured in (the matcher's population transform); identity by default. */
  transform?: (e: Float32Array) => Float32Array;
}

export const VISITOR_DEFAULTS: Omit<VisitorOptions, 'transform'> = {
  threshold: VISITOR_THRESHOLD,
  maxVisitors: 50,
  maxCrops: 5,
  novelCosine: 0.97,
  trackWindow: 8,
};

export interface Identification {
  visitor: string;
  isNew: boolean;
  /** This call assigned the track (its first unknown frame): a sighting was counted. */
  assigned: boolean;
  /** Cosine to the visitor joined (1 for a new one). */
  similarity: number;
  /** A visitor evicted to make room, whose crops can be deleted. */
  evicted?: Visitor;
}

export class VisitorBook {
  private readonly opts: VisitorOptions;
  private state: VisitorsState;
  private readonly protos = new Map<string, Float32Array>();
  private readonly tracks = new Map<number, { embeddings: Float32Array[]; visitor: string | null; lastMs: number }>();
  /** Moves on every change of a visitor's sightings or crops, or of the set of visitors. */
  private rev = 0;

  constructor(opts: Partial<VisitorOptions> = {}, state: VisitorsState = { next: 1, visitors: [] }) {
    this.opts = { ...VISITOR_DEFAULTS, ...opts };
    this.state = { next: state.next, visitors: state.visitors.map((v) => ({ ...v, crops: [...v.crops] })) };
  }

  snapshot(): VisitorsState {
    return { next: this.state.next, visitors: this.state.visitors.map((v) => ({ ...v, crops: [...v.crops] })) };
  }

  list(): readonly Visitor[] {
    return this.state.visitors;
  }

  get revision(): number {
    return this.rev;
  }

  /**
   * The kept (raw) embeddings of each visitor seen on at least `minSightings` tracks: the local
   * background of the matcher (recognition/matching/local-background.ts). Visitors without a crop yet
   * are left out.
   */
  backgroundGroups(minSightings: number): Float32Array[][] {
    return this.state.visitors.filter((v) => v.sightings >= minSightings && v.crops.length > 0).map((v) => v.crops.map((c) => c.embedding));
  }

  get(id: string): Visitor | undefined {
    return this.state.visitors.find((v) => v.id === id);
  }

  /** Records a frame's embedding of a visible track (pending or unknown); forgets tracks unseen for `ttlMs`. */
  observe(track: number, embedding: Float32Array, nowMs: number, ttlMs = 60_000): void {
    const t = this.tracks.get(track) ?? { embeddings: [], visitor: null, lastMs: nowMs };
    t.embeddings.push(embedding);
    if (t.embeddings.length > this.opts.trackWindow) t.embeddings.shift();
    t.lastMs = nowMs;
    this.tracks.set(track, t);
    for (const [id, o] of this.tracks) if (nowMs - o.lastMs > ttlMs) this.tracks.delete(id);
  }

  /** The visitor of an unknown track: assigned on the first call, the same one afterwards. */
  identify(track: number, ts: string): Identification {
    const t = this.tracks.get(track);
    if (t?.visitor) {
      const v = this.get(t.visitor);
      if (v) {
        v.lastSeen = ts;
        return { visitor: v.id, isNew: false, assigned: false, similarity: 1 };
      }
    }
    const embeddings = t && t.embeddings.length > 0 ? t.embeddings : [];
    const res = this.assign(embeddings, ts);
    if (t) t.visitor = res.visitor;
    else this.tracks.set(track, { embeddings: [], visitor: res.visitor, lastMs: 0 });
    return res;
  }

  /** Nearest visitor above the threshold, or a new one (evicting the least recently seen when full). */
  assign(embeddings: readonly Float32Array[], ts: string): Identification {
    this.rev++;
    if (embeddings.length > 0) {
      const q = unitMean(embeddings.map((e) => this.tx(e)));
      let best: { v: Visitor; s: number } | undefined;
      for (const v of this.state.visitors) {
        const p = this.prototype(v);
        if (!p) continue;
        const s = dot(q, p);
        if (!best || s > best.s) best = { v, s };
      }
      if (best && best.s >= this.opts.threshold) {
        best.v.sightings++;
        best.v.lastSeen = ts;
        return { visitor: best.v.id, isNew: false, assigned: true, similarity: best.s };
      }
    }
    let evicted: Visitor | undefined;
    if (this.state.visitors.length >= this.opts.maxVisitors) {
      evicted = this.state.visitors.reduce((a, b) => (b.lastSeen < a.lastSeen ? b : a));
      this.remove(evicted.id);
    }
    const v: Visitor = { id: `visitor-${this.state.next++}`, firstSeen: ts, lastSeen: ts, sightings: 1, crops: [] };
    this.state.visitors.push(v);
    // Until a crop is kept, the track's own embeddings stand for the new visitor.
    if (embeddings.length > 0) this.protos.set(v.id, unitMean(embeddings.map((e) => this.tx(e))));
    return { visitor: v.id, isNew: true, assigned: true, similarity: 1, ...(evicted ? { evicted } : {}) };
  }

  /** Whether a crop of this quality and view would be kept (the caller then encodes it and calls addCrop). */
  wantsCrop(id: string, quality: number, embedding: Float32Array): boolean {
    const v = this.get(id);
    if (!v) return false;
    const similar = v.crops.filter((c) => dot(c.embedding, embedding) >= this.opts.novelCosine);
    if (similar.length > 0) return similar.every((c) => quality > c.quality * 1.25);
    if (v.crops.length < this.opts.maxCrops) return true;
    return quality > Math.min(...v.crops.map((c) => c.quality));
  }

  /** Keeps a crop; returns the crops dropped for it (a near-identical worse one, or the worst when full). */
  addCrop(id: string, crop: VisitorCrop): VisitorCrop[] {
    const v = this.get(id);
    if (!v) return [crop];
    const dropped: VisitorCrop[] = [];
    const similar = v.crops.filter((c) => dot(c.embedding, crop.embedding) >= this.opts.novelCosine);
    for (const c of similar) if (c.quality < crop.quality) dropped.push(c);
    v.crops = v.crops.filter((c) => !dropped.includes(c));
    v.crops.push(crop);
    while (v.crops.length > this.opts.maxCrops) {
      const worst = v.crops.reduce((a, b) => (b.quality < a.quality ? b : a));
      dropped.push(worst);
      v.crops = v.crops.filter((c) => c !== worst);
    }
    this.protos.delete(id);
    this.rev++;
    return dropped;
  }

  /** Forgets a visitor (named as a pet, or by the operator); returns it, or undefined. */
  remove(id: string): Visitor | undefined {
    const v = this.get(id);
    if (!v) return undefined;
    this.state.visitors = this.state.visitors.filter((x) => x !== v);
    this.protos.delete(id);
    this.rev++;
    for (const t of this.tracks.values()) if (t.visitor === id) t.visitor = null;
    return v;
  }

  /**
   * Another process (the CLI) rewrote the file: visitors it removed (absent on disk
   * although older than its `next`) are dropped here too. Returns the ids dropped.
   */
  adoptRemovals(disk: VisitorsState): string[] {
    const onDisk = new Set(disk.visitors.map((v) => v.id));
    const gone = this.state.visitors.filter((v) => !onDisk.has(v.id) && visitorNumber(v.id) < disk.next).map((v) => v.id);
    for (const id of gone) this.remove(id);
    this.state.next = Math.max(this.state.next, disk.next);
    return gone;
  }

  private prototype(v: Visitor): Float32Array | undefined {
    const cached = this.protos.get(v.id);
    if (cached) return cached;
    if (v.crops.length === 0) return undefined;
    const p = unitMean(v.crops.map((c) => this.tx(c.embedding)));
    this.protos.set(v.id, p);
    return p;
  }

  private tx(e: Float32Array): Float32Array {
    return this.opts.transform ? this.opts.transform(e) : e;
  }
}

export function visitorNumber(id: string): number {
  const m = /^visitor-(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

/**
 * One frame through detection, embedding, matching, tracking and voting.
 * Returns the named and unknown sightings for presence. No I/O besides the
 * models; the caller owns timing, presence and publishing.
 */
import type { Detector, Embedder, Matcher } from '../recognition/types.js';
import type { Sighting, UnknownSighting } from '../presence/types.js';
import type { Tracker, TrackView } from '../tracking/tracker.js';
import type { RgbImage } from '../vision/image.js';

export interface FrameResult {
  detections: number;
  tracks: TrackView[];
  sightings: Sighting[];
  unknowns: UnknownSighting[];
  /** This frame's embedding of each visible track not named a pet (pending or unknown): visitors' evidence. */
  unnamed: Map<number, Float32Array>;
  /** Milliseconds per stage. */
  timing: { detect: number; embed: number; match: number; track: number };
}

/** The models, read at each frame: the daemon builds the processor before they are loaded. */
export interface FrameModels {
  readonly detector: Detector;
  readonly embedder: Embedder;
  readonly matcher: Matcher;
}

export class FrameProcessor {
  private readonly models: FrameModels;
  private readonly tracker: Tracker;

  constructor(models: FrameModels, tracker: Tracker) {
    this.models = models;
    this.tracker = tracker;
  }

  async process(image: RgbImage, timeMs: number): Promise<FrameResult> {
    const { detector, embedder, matcher } = this.models;
    const t0 = performance.now();
    const detections = await detector.detect(image);
    const t1 = performance.now();
    const embeddings =
      detections.length > 0
        ? await embedder.embed(
            image,
            detections.map((d) => d.box),
          )
        : [];
    const t2 = performance.now();
    const observations = detections.map((d, i) => ({
      label: d.label,
      score: d.score,
      box: d.box,
      match: matcher.match(embeddings[i]!),
      embedding: embeddings[i]!,
    }));
    const t2b = performance.now();
    const tracks = this.tracker.update(observations, timeMs);
    const sightings: Sighting[] = [];
    const unknowns: UnknownSighting[] = [];
    const unnamed = new Map<number, Float32Array>();
    for (const t of tracks) {
      const box = roundBox(t.box);
      const embedding = t.observation >= 0 ? embeddings[t.observation] : undefined;
      if (t.identity.kind !== 'pet' && embedding) unnamed.set(t.id, embedding);
      if (t.identity.kind === 'pet') sightings.push({ pet: t.identity.pet, confidence: t.identity.confidence, box, track: t.id });
      else if (t.identity.kind === 'unknown')
        unknowns.push({ confidence: t.identity.confidence, box, track: t.id, ...(embedding ? { embedding } : {}) });
    }
    const t3 = performance.now();
    return {
      detections: detections.length,
      tracks,
      sightings,
      unknowns,
      unnamed,
      timing: { detect: t1 - t0, embed: t2 - t1, match: t2b - t2, track: t3 - t2b },
    };
  }
}

function roundBox(b: readonly number[]): [number, number, number, number] {
  return [Math.round(b[0]!), Math.round(b[1]!), Math.round(b[2]!), Math.round(b[3]!)];
}

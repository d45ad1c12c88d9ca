/**
 * One frame through motion gating, detection, embedding, matching, tracking and
 * voting. Returns the named and unknown sightings for presence. No I/O besides
 * the models; the caller owns timing, presence and publishing.
 *
 * A frame the motion gate skips (../motion/gate.ts) is not detected and not
 * shown to the tracker: it reports nothing new, and its tracks are not missed.
 * Of a detected frame, only the detections the embedding schedule picks
 * (../tracking/embed-schedule.ts) are embedded and matched, in at most two
 * batches (with and without the mirrored crop); the others move their track on
 * by box overlap and add no evidence.
 */
import type { Detection, Detector, Embedder, Matcher } from '../recognition/types.js';
import type { Sighting, UndecidedSighting, UnknownSighting } from '../presence/types.js';
import type { Tracker, TrackView } from '../tracking/tracker.js';
import type { EmbedSchedule } from '../tracking/embed-schedule.js';
import type { MotionGate } from '../motion/gate.js';
import { cropMean, cropSharpness } from '../kernels/sharpness.js';
import type { RgbImage } from '../vision/image.js';

export interface FrameResult {
  /** True when the motion gate skipped detection on this frame (nothing changed). */
  gated: boolean;
  detections: number;
  /** Detections embedded on this frame (the schedule's pick). */
  embedded: number;
  tracks: TrackView[];
  sightings: Sighting[];
  unknowns: UnknownSighting[];
  /** This frame's embedding of each visible track not named a pet (pending or unknown): visitors' evidence. */
  unnamed: Map<number, Float32Array>;
  /** Visible tracks not decided yet (pending): presence holds the away timers of this camera's pets for them. */
  undecided: UndecidedSighting[];
  /** Milliseconds per stage. */
  timing: { gate: number; detect: number; embed: number; match: number; track: number };
}

/** The models, read at each frame: the daemon builds the processor before they are loaded. */
export interface FrameModels {
  readonly detector: Detector;
  readonly embedder: Embedder;
  readonly matcher: Matcher;
}

export interface FrameStages {
  /** null: every frame is detected. */
  gate: MotionGate | null;
  schedule: EmbedSchedule;
  /** The embedder's configured mirrored-crop averaging (matching.flipTta), used for new and uncertain tracks. */
  flip: boolean;
}

/** A frame after stage one (FrameProcessor.detect): skipped by the gate, or detected with these models. */
export type Detected =
  { gated: true; gateMs: number } | { gated: false; gateMs: number; detectMs: number; detections: Detection[]; models: FrameModels };

export class FrameProcessor {
  private readonly models: FrameModels;
  private readonly tracker: Tracker;
  private readonly stages: FrameStages;
  /** Some track was undecided after the last finished frame: the gate re-detects sooner (../motion/gate.ts). */
  private undecided = false;

  constructor(models: FrameModels, tracker: Tracker, stages: FrameStages) {
    this.models = models;
    this.tracker = tracker;
    this.stages = stages;
  }

  /** Both stages of one frame, one after the other. */
  async process(image: RgbImage, timeMs: number): Promise<FrameResult> {
    return this.finish(image, timeMs, await this.detect(image, timeMs));
  }

  /**
   * Stage one: the motion gate and the detector. Frames go through it in order
   * (the gate compares each with the last detected one); the camera loop may
   * start the next frame's stage one before this frame's stage two
   * (./camera-pipeline.ts: lookahead), which is all that overlaps.
   */
  async detect(image: RgbImage, timeMs: number): Promise<Detected> {
    // Read the models once: a hot swap (runtime/model-manager.ts) then lands between frames, never inside one.
    const models = { detector: this.models.detector, embedder: this.models.embedder, matcher: this.models.matcher };
    const gate = this.stages.gate;
    const t0 = performance.now();
    // With lookahead this is the state after the frame before the previous one: one frame behind.
    if (gate && !(await gate.check(image, timeMs, this.undecided)).detect) return { gated: true, gateMs: performance.now() - t0 };
    const tg = performance.now();
    const detections = await models.detector.detect(image);
    return { gated: false, gateMs: tg - t0, detectMs: performance.now() - tg, detections, models };
  }

  /** Stage two: embedding, matching, tracking and voting, strictly in frame order. */
  async finish(image: RgbImage, timeMs: number, stage1: Detected): Promise<FrameResult> {
    if (stage1.gated) {
      return {
        gated: true,
        detections: 0,
        embedded: 0,
        tracks: [],
        sightings: [],
        unknowns: [],
        unnamed: new Map(),
        undecided: [],
        timing: stageMs(stage1.gateMs),
      };
    }
    const { detections, models } = stage1;
    const { embedder, matcher } = models;
    const { schedule } = this.stages;
    const t1 = performance.now();
    const sharpness = detections.map((d) => cropSharpness(image, d.box));
    const colours = detections.map((d) => cropMean(image, d.box));
    const continues = this.tracker.preview(detections);
    const plans = detections.map((d, i) => schedule.plan(continues[i] ?? null, d.box, sharpness[i]!, timeMs, this.stages.flip, colours[i]));
    const embeddings = await this.embed(
      embedder,
      image,
      detections.map((d) => d.box),
      plans,
    );
    const t2 = performance.now();
    const observations = detections.map((d, i) => {
      const embedding = embeddings[i];
      const seen = { label: d.label, score: d.score, box: d.box, sharpness: sharpness[i]! };
      return embedding ? { ...seen, match: matcher.match(embedding), embedding } : seen;
    });
    const t2b = performance.now();
    const tracks = this.tracker.update(observations, timeMs);
    const sightings: Sighting[] = [];
    const unknowns: UnknownSighting[] = [];
    const unnamed = new Map<number, Float32Array>();
    const undecided: UndecidedSighting[] = [];
    for (const t of tracks) {
      const box = roundBox(t.box);
      const embedding = t.observation >= 0 ? embeddings[t.observation] : undefined;
      if (embedding) schedule.embedded(t.id, t.box, sharpness[t.observation]!, timeMs, colours[t.observation]);
      if (t.identity.kind !== 'pet' && embedding) unnamed.set(t.id, embedding);
      if (t.identity.kind === 'pet') sightings.push({ pet: t.identity.pet, confidence: t.identity.confidence, box, track: t.id });
      else if (t.identity.kind === 'unknown')
        unknowns.push({ confidence: t.identity.confidence, box, track: t.id, ...(embedding ? { embedding } : {}) });
      else undecided.push({ track: t.id, firstSeenMs: t.firstSeenMs });
    }
    const all = this.tracker.all();
    schedule.retain(all.map((t) => t.id));
    this.undecided = all.some((t) => t.identity.kind === 'pending');
    const t3 = performance.now();
    return {
      gated: false,
      detections: detections.length,
      embedded: embeddings.filter(Boolean).length,
      tracks,
      sightings,
      unknowns,
      unnamed,
      undecided,
      timing: { gate: stage1.gateMs, detect: stage1.detectMs, embed: t2 - t1, match: t2b - t2, track: t3 - t2b },
    };
  }

  /** Embeds the planned boxes, one batch per flip setting; undefined where the plan skips. */
  private async embed(
    embedder: Embedder,
    image: RgbImage,
    boxes: readonly [number, number, number, number][],
    plans: readonly { embed: boolean; flip: boolean }[],
  ): Promise<(Float32Array | undefined)[]> {
    const out: (Float32Array | undefined)[] = boxes.map(() => undefined);
    for (const flip of [true, false]) {
      const idx = plans.flatMap((p, i) => (p.embed && p.flip === flip ? [i] : []));
      if (idx.length === 0) continue;
      const embs = await embedder.embed(
        image,
        idx.map((i) => boxes[i]!),
        { flip },
      );
      idx.forEach((i, k) => (out[i] = embs[k]));
    }
    return out;
  }
}

function stageMs(gate: number): FrameResult['timing'] {
  return { gate, detect: 0, embed: 0, match: 0, track: 0 };
}

function roundBox(b: readonly number[]): [number, number, number, number] {
  return [Math.round(b[0]!), Math.round(b[1]!), Math.round(b[2]!), Math.round(b[3]!)];
}

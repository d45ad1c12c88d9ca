/**
 * Recognition-core types shared by the CLI commands, the daemon and the trainer.
 * Implementations live beside this file; consumers import only these types and
 * the factory functions documented in ./index.ts.
 */
import type { RgbImage } from '../vision/image.js';

export type Box = [x1: number, y1: number, x2: number, y2: number];
export type AnimalLabel = 'cat' | 'dog';

export interface Detection {
  label: AnimalLabel;
  /** obj * class probability, in [0,1]. */
  score: number;
  /** Frame pixel coordinates, clipped to the frame. */
  box: Box;
}

export interface Identity {
  petId: string;
  name: string;
}

/** The decision for one embedding: a pet or null (unknown), with a calibrated confidence in [0,1]. */
export interface MatchResult {
  pet: Identity | null;
  /** Confidence that `pet` is right (or, for null, that the animal is not enrolled). */
  confidence: number;
  /** Per-pet scores, best first, for voting across frames; `llr` = calibrated log-likelihood ratio of the score. */
  scores: { petId: string; score: number; llr?: number }[];
}

export interface Detector {
  detect(img: RgbImage): Promise<Detection[]>;
  dispose(): Promise<void>;
}

export interface Embedder {
  /** Stable id of the embedding space: manifest name + sha256 prefix. */
  readonly modelId: string;
  /** One L2-normalised embedding per box; `flip` overrides the configured mirrored-crop averaging for this call. */
  embed(img: RgbImage, boxes: readonly Box[], opts?: { flip?: boolean }): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface Matcher {
  match(embedding: Float32Array): MatchResult;
}

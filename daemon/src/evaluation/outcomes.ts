/** What the evaluation protocols produce per query photo (types shared by evaluate, curve, calibrate, crossval). */
import type { PetScore } from '../recognition/matching/matcher.js';

export interface QueryOutcome {
  pet: string;
  file: string;
  /** Closed-set answer (null = unknown or no detection). */
  closed: string | null;
  /** Best-scoring pet with all enrolled, whatever the threshold (for the operating curve). */
  closedBest?: string | null;
  /** Open-set answer with the pet left out. */
  open: string | null;
  detected: boolean;
  /** Best and second-best scores, closed and open (for calibration). */
  closedScores: [number, number] | null;
  openScores: [number, number] | null;
}

export interface ScoredQuery {
  pet: string;
  file: string;
  /** Transformed embedding (null: no detection). */
  vector: Float32Array | null;
  /** Every enrolled pet's score, best first (null: no detection). */
  scores: PetScore[] | null;
}

import type { Box, Identity } from '../recognition/types.js';

/** The retained per-pet state, exactly as published on `<base>/pets/<pet_id>/state`. */
export interface PetState {
  state: 'present' | 'away';
  /** ISO-8601 time of the latest sighting, null if never seen. */
  last_seen: string | null;
  /** Id of the camera that saw the pet last, null if never seen. */
  last_camera: string | null;
  /** The same as last_camera: the field's name before there were several cameras, kept for existing templates. */
  camera: string | null;
  confidence: number | null;
}

export interface Sighting {
  pet: Identity;
  confidence: number;
  box: Box;
  track: number;
}

export interface UnknownSighting {
  confidence: number;
  box: Box;
  track: number;
  /** The track's embedding in this frame (for visitors). */
  embedding?: Float32Array;
  /** The visitor the track was identified as (./visitors.ts), when visitors are on. */
  visitor?: string;
  /** The visitor was created by this sighting: presence emits `new_visitor`. */
  newVisitor?: boolean;
}

/**
 * An animal in view whose identity is still being decided (a pending track, ../tracking/voting.ts): it may
 * be one of the present pets, e.g. a pet whose track broke when it jumped and which is collecting votes again.
 */
export interface UndecidedSighting {
  track: number;
  /** When the track first appeared (the same monotonic clock as observe's nowMs). */
  firstSeenMs: number;
}

export type PresenceEventType = 'seen' | 'left' | 'unknown_seen' | 'new_visitor';

/** A presence change, before it gets an id and is written to the outbox. */
export interface PresenceEvent {
  type: PresenceEventType;
  /** Id of the camera of the sighting (seen, unknown_seen, new_visitor) or that saw the pet last (left). */
  camera: string;
  pet: Identity | null;
  confidence: number;
  box: Box;
  track: number;
  /** unknown_seen and new_visitor: the visitor id (`visitor-3`), when visitors are on. */
  visitor?: string;
  /** ISO-8601 wall time of the frame (seen/unknown_seen) or of the decision (left). */
  ts: string;
}

export function awayState(): PetState {
  return { state: 'away', last_seen: null, last_camera: null, camera: null, confidence: null };
}

import type { Box } from '../recognition/types.js';
import type { PresenceEventType } from '../presence/types.js';

/**
 * An event exactly as published on `<base>/events` (QoS 1, not retained).
 * `id` is assigned once, before the event is written to the outbox, and every
 * (re)delivery carries the same id so consumers can de-duplicate.
 */
export interface PetEvent {
  id: string;
  type: PresenceEventType;
  pet: string | null;
  pet_id: string | null;
  camera: string;
  ts: string;
  confidence: number;
  box: Box;
  track: number;
  /** unknown_seen (when visitors are on) and new_visitor: the visitor id, e.g. `visitor-3`. */
  visitor?: string;
  /** Set at delivery: true when the event happened long before (an outbox replay after an outage): not for live automations. */
  replayed?: boolean;
}

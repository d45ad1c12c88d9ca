/**
 * Presence: turns named sightings into per-pet present/away state and into
 * events. Pure and synchronous; times are passed in (a monotonic `nowMs` for
 * timing, an ISO wall time for payloads).
 *
 * Rules:
 * - `seen` when a pet goes from away to present (one event per visit, however
 *   many tracks or frames the visit spans);
 * - `left` once it has been unseen for `awayAfterMs`;
 * - `unknown_seen` when an unknown animal is sighted and no unknown animal was
 *   sighted in the previous `unknownCooldownMs` (a stranger lingering in view,
 *   re-tracked every few frames, fires once); it names the visitor when the
 *   sighting carries one;
 * - `new_visitor` whenever a sighting created a visitor (no cooldown: a new
 *   visitor id appears once).
 * - A pet restored as present from disk is treated as seen at restore time, so
 *   it goes away (with a `left` event) unless it is seen again.
 * - Sightings come from several cameras (`observe(..., camera)`): a pet is
 *   present while any camera sees it, and its state names the camera that saw
 *   it last (`last_camera`); events carry their camera.
 * - While the daemon is blind (`blind()` until `sighted()`: every camera is
 *   down), nobody goes away, and the blind time does not count towards the
 *   away timeout: away means "not seen while we could see".
 * - An undecided animal (a pending track) that appeared less than `awayAfterMs`
 *   ago holds the away timer of every present pet last seen by the same camera:
 *   it may be one of them. A pet that jumps or is briefly hidden gets a
 *   new track that needs several detections to be named, and with the motion
 *   gate a still scene is detected only every recheck (up to half of
 *   awayAfter): without the hold the pet went away and was seen again while it
 *   sat in view. The hold never makes a pet present and changes no state; it
 *   holds only while the animal is younger than `awayAfterMs`, so an animal
 *   that stays undecided keeps nobody present past 2 x `awayAfterMs` after it
 *   appeared.
 */
import type { Box, Identity } from '../recognition/types.js';
import { awayState, type PetState, type PresenceEvent, type Sighting, type UndecidedSighting, type UnknownSighting } from './types.js';

export interface PresenceOptions {
  awayAfterMs: number;
  unknownCooldownMs: number;
}

export interface PresenceUpdate {
  events: PresenceEvent[];
  /** Pets whose present/away state flipped (publish now). */
  transitions: string[];
  /** Pets whose state changed in any field, transitions included. */
  updated: string[];
  /** The new state of each pet in `updated` (what to publish; no need to ask again). */
  states: Record<string, PetState>;
}

interface PetSlot {
  pet: Identity;
  state: PetState;
  lastSeenMs: number | null;
  box: Box;
  track: number;
}

export class Presence {
  private readonly opts: PresenceOptions;
  private readonly slots = new Map<string, PetSlot>();
  private lastUnknownMs: number | null = null;
  private blindSinceMs: number | null = null;

  constructor(opts: PresenceOptions) {
    this.opts = opts;
  }

  /** Declares the enrolled pets, with their states from disk where known. */
  restore(pets: readonly Identity[], saved: Readonly<Record<string, PetState>>, nowMs: number): void {
    this.slots.clear();
    for (const pet of pets) {
      const s = saved[pet.petId];
      const state = s ? { ...s } : awayState();
      this.slots.set(pet.petId, { pet, state, lastSeenMs: state.state === 'present' ? nowMs : null, box: [0, 0, 0, 0], track: 0 });
    }
  }

  /** The enrolled pets changed while running: new ones start away, removed ones are dropped, the rest keep their state. */
  setPets(pets: readonly Identity[]): void {
    const keep = new Set(pets.map((p) => p.petId));
    for (const id of [...this.slots.keys()]) if (!keep.has(id)) this.slots.delete(id);
    for (const pet of pets) {
      const s = this.slots.get(pet.petId);
      if (s) s.pet = pet;
      else this.slots.set(pet.petId, { pet, state: awayState(), lastSeenMs: null, box: [0, 0, 0, 0], track: 0 });
    }
  }

  pets(): Identity[] {
    return [...this.slots.values()].map((s) => s.pet);
  }

  state(petId: string): PetState | undefined {
    const s = this.slots.get(petId)?.state;
    return s ? { ...s } : undefined;
  }

  states(): Record<string, PetState> {
    const out: Record<string, PetState> = {};
    for (const [id, s] of this.slots) out[id] = { ...s.state };
    return out;
  }

  /** One frame of `camera`: its named, unknown and undecided sightings. */
  observe(
    nowMs: number,
    ts: string,
    sightings: readonly Sighting[],
    unknowns: readonly UnknownSighting[],
    camera: string,
    undecided: readonly UndecidedSighting[] = [],
  ): PresenceUpdate {
    const up: PresenceUpdate = { events: [], transitions: [], updated: [], states: {} };
    if (undecided.some((u) => nowMs - u.firstSeenMs < this.opts.awayAfterMs)) this.hold(nowMs, camera);
    const best = new Map<string, Sighting>();
    for (const s of sightings) {
      const cur = best.get(s.pet.petId);
      if (!cur || s.confidence > cur.confidence) best.set(s.pet.petId, s);
    }
    for (const s of best.values()) {
      const slot = this.slots.get(s.pet.petId);
      if (!slot) continue; // not enrolled (deleted while running): ignore
      const wasPresent = slot.state.state === 'present';
      slot.lastSeenMs = nowMs;
      slot.box = s.box;
      slot.track = s.track;
      slot.state = { state: 'present', last_seen: ts, last_camera: camera, camera, confidence: round3(s.confidence) };
      up.updated.push(slot.pet.petId);
      up.states[slot.pet.petId] = { ...slot.state };
      if (!wasPresent) {
        up.transitions.push(slot.pet.petId);
        up.events.push({ type: 'seen', camera, pet: slot.pet, confidence: round3(s.confidence), box: s.box, track: s.track, ts });
      }
    }
    if (unknowns.length > 0) {
      const u = unknowns.reduce((a, b) => (b.confidence > a.confidence ? b : a));
      if (this.lastUnknownMs === null || nowMs - this.lastUnknownMs >= this.opts.unknownCooldownMs) {
        const visitor = u.visitor ? { visitor: u.visitor } : {};
        up.events.push({
          type: 'unknown_seen',
          camera,
          pet: null,
          confidence: round3(u.confidence),
          box: u.box,
          track: u.track,
          ...visitor,
          ts,
        });
      }
      for (const n of unknowns) {
        if (!n.newVisitor || !n.visitor) continue;
        up.events.push({
          type: 'new_visitor',
          camera,
          pet: null,
          confidence: round3(n.confidence),
          box: n.box,
          track: n.track,
          visitor: n.visitor,
          ts,
        });
      }
      this.lastUnknownMs = nowMs;
    }
    const later = this.tick(nowMs, ts);
    up.events.push(...later.events);
    up.transitions.push(...later.transitions);
    up.updated.push(...later.updated);
    Object.assign(up.states, later.states);
    return up;
  }

  /**
   * The present pets last seen by `camera` count as possibly seen at `nowMs` (an undecided animal in its view): their
   * away timers restart, nothing else changes. Another camera's pets are not held: a pet walking from one camera to
   * another was really unseen in between, and each camera's own breaks are what the gate slows down.
   */
  private hold(nowMs: number, camera: string): void {
    for (const slot of this.slots.values())
      if (slot.state.state === 'present' && slot.state.last_camera === camera && slot.lastSeenMs !== null)
        slot.lastSeenMs = Math.max(slot.lastSeenMs, nowMs);
  }

  /**
   * Every camera went blind (lost, reconnecting, failed): nobody can be declared
   * away from not being seen while nothing can be seen. Idempotent.
   */
  blind(nowMs: number): void {
    this.blindSinceMs ??= nowMs;
  }

  /** A camera sees again: the blind time does not count towards `awayAfterMs`. */
  sighted(nowMs: number): void {
    if (this.blindSinceMs === null) return;
    const outage = Math.max(0, nowMs - this.blindSinceMs);
    this.blindSinceMs = null;
    for (const slot of this.slots.values()) if (slot.lastSeenMs !== null) slot.lastSeenMs += outage;
  }

  get isBlind(): boolean {
    return this.blindSinceMs !== null;
  }

  /** Applies the away timeout; call from the frame loop and from a timer. No-op while blind. */
  tick(nowMs: number, ts: string): PresenceUpdate {
    const up: PresenceUpdate = { events: [], transitions: [], updated: [], states: {} };
    if (this.blindSinceMs !== null) return up;
    for (const slot of this.slots.values()) {
      if (slot.state.state !== 'present') continue;
      if (slot.lastSeenMs !== null && nowMs - slot.lastSeenMs < this.opts.awayAfterMs) continue;
      slot.state = { ...slot.state, state: 'away' };
      up.transitions.push(slot.pet.petId);
      up.updated.push(slot.pet.petId);
      up.states[slot.pet.petId] = { ...slot.state };
      const left = { pet: slot.pet, confidence: slot.state.confidence ?? 0, box: slot.box, track: slot.track, ts };
      up.events.push({ type: 'left', camera: slot.state.last_camera ?? '', ...left });
    }
    return up;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

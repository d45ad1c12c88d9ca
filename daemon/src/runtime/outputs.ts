/**
 * Turns presence updates into durable side effects: events (id assigned here,
 * then the outbox), retained states (at once on a present/away flip, else at
 * most every `stateRefreshMs`), the on-disk state file, and snapshots (the best
 * crop of each visit, at most every `snapshotIntervalMs` per pet).
 *
 * A `seen` or `unknown_seen` on a frame takes its snapshot from that frame, and
 * the event goes out only after the snapshot (MqttBridge.enqueue's `before`):
 * an automation that sends "Mittens is here" with the picture attaches this
 * visit's picture, not the last one. The event is on disk at once all the same.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { SnapshotStore } from '../events/snapshot-store.js';
import type { PetEvent } from '../events/types.js';
import type { MqttBridge } from '../mqtt/bridge.js';
import type { Presence, PresenceUpdate } from '../presence/presence.js';
import type { PetStateStore, StoredPets } from '../presence/store.js';
import type { PresenceEvent, Sighting } from '../presence/types.js';
import type { RgbImage } from '../vision/image.js';
import { cropJpeg } from './snapshot.js';

export interface OutputsOptions {
  stateRefreshMs: number;
  snapshotIntervalMs: number;
}

/** At most this often a state refresh without a flip rewrites the state file (flips are written at once). */
export const PERSIST_REFRESH_MS = 5_000;

export class Outputs {
  private readonly opts: OutputsOptions;
  private readonly presence: Presence;
  private readonly bridge: MqttBridge;
  private readonly store: PetStateStore;
  private readonly snapshotStore: SnapshotStore;
  private readonly log: Logger;
  /** Deleted pets whose retained topics are not cleared yet: kept in the state file until they are. */
  private readonly leftovers: StoredPets;
  private readonly onEvent: ((e: PetEvent) => void) | undefined;
  private readonly lastStateMs = new Map<string, number>();
  private lastPersistMs = Number.NEGATIVE_INFINITY;
  private readonly snap = new Map<string, { best: number; lastMs: number; busy: boolean }>();

  constructor(
    parts: {
      presence: Presence;
      bridge: MqttBridge;
      store: PetStateStore;
      snapshots: SnapshotStore;
      leftovers: StoredPets;
      /** Also sees every event published (the HTTP API's live feed). */
      onEvent?: (e: PetEvent) => void;
    },
    opts: OutputsOptions,
    log: Logger,
  ) {
    this.presence = parts.presence;
    this.bridge = parts.bridge;
    this.store = parts.store;
    this.snapshotStore = parts.snapshots;
    this.leftovers = parts.leftovers;
    this.onEvent = parts.onEvent;
    this.opts = opts;
    this.log = log;
  }

  /** `image`: the frame the update comes from (none for the timer's `left`s); arrivals take their snapshot from it. */
  apply(up: PresenceUpdate, nowMs: number, image?: RgbImage): void {
    for (const e of up.events) {
      const event = toEvent(e);
      this.bridge.enqueue(event, image ? this.arrivalSnapshot(image, e, nowMs) : undefined);
      this.onEvent?.(event);
    }
    const flips = new Set(up.transitions);
    let published = false;
    let flipped = false;
    for (const id of new Set(up.updated)) {
      const due = flips.has(id) || nowMs - (this.lastStateMs.get(id) ?? Number.NEGATIVE_INFINITY) >= this.opts.stateRefreshMs;
      if (!due) continue;
      const s = up.states[id];
      if (s) this.bridge.publishState(id, s);
      this.lastStateMs.set(id, nowMs);
      published = true;
      flipped ||= flips.has(id);
    }
    // The file follows what the broker was told, so a restart restores the same states. A
    // present/away flip is written at once; a refresh (a newer last_seen only) at most every
    // PERSIST_REFRESH_MS: the write is synchronous with two fsyncs (~10-20 ms on this machine's
    // disk), which at a short state refresh cost the frame loop a third of its frames, for a
    // last_seen that a crash would leave at most that much older.
    if (published && (flipped || nowMs - this.lastPersistMs >= PERSIST_REFRESH_MS)) this.persist(nowMs);
    for (const e of up.events) if (e.type === 'left' && e.pet) this.snap.delete(e.pet.petId);
  }

  /** Publishes a snapshot when a visit's crop improves (rate-limited per pet); never blocks the frame loop. */
  snapshots(image: RgbImage, sightings: readonly Sighting[], nowMs: number): void {
    for (const s of sightings) {
      const cur = this.snap.get(s.pet.petId) ?? { best: -1, lastMs: Number.NEGATIVE_INFINITY, busy: false };
      this.snap.set(s.pet.petId, cur);
      if (cur.busy || s.confidence <= cur.best || nowMs - cur.lastMs < this.opts.snapshotIntervalMs) continue;
      cur.best = s.confidence;
      cur.lastMs = nowMs;
      cur.busy = true;
      cropJpeg(image, s.box)
        .then((jpeg) => {
          this.snapshotStore.write(s.pet.petId, jpeg);
          return this.bridge.publishSnapshot(s.pet.petId, jpeg);
        })
        .catch((err: unknown) => this.log.warn('snapshot failed', { pet: s.pet.petId, error: err as Error }))
        .finally(() => (cur.busy = false));
    }
  }

  /** The snapshot of a `seen` or `unknown_seen`, stored and published; undefined for other events. Never rejects. */
  private arrivalSnapshot(image: RgbImage, e: PresenceEvent, nowMs: number): Promise<void> | undefined {
    const pet = e.pet;
    if (e.type === 'seen' && pet) {
      // The visit's first picture: later frames replace it only when better and not too soon.
      const cur = { best: e.confidence, lastMs: nowMs, busy: true };
      this.snap.set(pet.petId, cur);
      return cropJpeg(image, e.box)
        .then((jpeg) => {
          this.snapshotStore.write(pet.petId, jpeg);
          return this.bridge.publishSnapshot(pet.petId, jpeg);
        })
        .catch((err: unknown) => this.log.warn('snapshot failed', { pet: pet.petId, error: err as Error }))
        .finally(() => (cur.busy = false));
    }
    if (e.type === 'unknown_seen')
      return cropJpeg(image, e.box)
        .then((jpeg) => {
          this.snapshotStore.writeUnknown(jpeg);
          return this.bridge.publishUnknownSnapshot(jpeg);
        })
        .catch((err: unknown) => this.log.warn('unknown animal snapshot failed', { error: err as Error }));
    return undefined;
  }

  /** A deleted pet's retained topics are gone from the broker: forget it. */
  forget(petId: string): void {
    delete this.leftovers[petId];
    this.persist();
  }

  persist(nowMs = performance.now()): void {
    this.lastPersistMs = nowMs;
    const pets: StoredPets = { ...this.leftovers };
    for (const p of this.presence.pets()) pets[p.petId] = { name: p.name, state: this.presence.state(p.petId)! };
    try {
      this.store.save(pets);
    } catch (err) {
      this.log.error('cannot write the pet state file', { error: err as Error });
    }
  }
}

export function toEvent(e: PresenceEvent): PetEvent {
  return {
    id: randomUUID(),
    type: e.type,
    pet: e.pet?.name ?? null,
    pet_id: e.pet?.petId ?? null,
    camera: e.camera,
    ts: e.ts,
    confidence: e.confidence,
    box: e.box,
    track: e.track,
    ...(e.visitor ? { visitor: e.visitor } : {}),
  };
}

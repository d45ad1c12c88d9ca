/**
 * The MQTT side of the daemon: events from the outbox (QoS 1, not retained, in
 * order, one in flight), retained per-pet states and snapshots, and Home
 * Assistant discovery. On every connect, and whenever Home Assistant announces
 * `online` on `<prefix>/status`, it re-publishes discovery and current states.
 *
 * Retained topics only ever carry state; events are never retained, so a
 * reconnecting consumer cannot re-trigger an automation from a stale event.
 *
 * Disk errors never escape: an event the outbox cannot store (OUTBOX_WRITE) is
 * logged, kept in memory behind the stored ones (order is kept) and stored as
 * soon as the disk accepts it again (retried every RETRY_MS and on every new
 * event); while it is only in memory it is still delivered when connected, but
 * a restart in that window loses it (logged). A failed delivery round is logged
 * and retried after RETRY_MS, never an unhandled rejection.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from '../events/outbox.js';
import type { PetEvent } from '../events/types.js';
import type { PetState } from '../presence/types.js';
import type { Identity } from '../recognition/types.js';
import { announcePet, removePet, type DiscoveryContext } from './discovery.js';
import type { MqttConnection } from './connection.js';
import { safeId, topics } from './topics.js';

/** Retry interval for a failed disk write or delivery round. */
const RETRY_MS = 1000;

export interface BridgeOptions {
  /** null: discovery disabled. */
  discovery: DiscoveryContext | null;
  /** Where the latest snapshot of each pet is kept (`<petId>.jpg`). */
  snapshotsDir: string;
  /** Current states of the enrolled pets (for re-publication). */
  states: () => Record<string, PetState>;
  /** Called once a deleted pet's entities and retained topics were cleared on the broker. */
  onRemoved: (petId: string) => void;
  /** The camera's name and current availability (for re-publication); absent: not published. */
  camera?: () => { name: string; state: CameraState };
}

/** Retained at `<base>/cameras/<name>/state`: whether the camera delivers frames. */
export interface CameraState {
  state: 'online' | 'lost';
  /** ISO time of the last change. */
  since: string;
  /** Why it is lost (a camera error message), else null. */
  error: string | null;
}

export class MqttBridge {
  private readonly conn: MqttConnection;
  private readonly outbox: Outbox;
  private readonly log: Logger;
  private readonly opts: BridgeOptions;
  private pets: Identity[] = [];
  private removals = new Set<string>();
  private draining: Promise<void> | null = null;
  private stopping = false;
  /** Events the outbox could not store yet (disk error), oldest first. */
  private unsaved: PetEvent[] = [];
  private diskFailing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  delivered = 0;

  constructor(conn: MqttConnection, outbox: Outbox, opts: BridgeOptions, log: Logger) {
    this.conn = conn;
    this.outbox = outbox;
    this.opts = opts;
    this.log = log;
  }

  /** The enrolled pets to announce, and ids of deleted pets whose entities must go. */
  setPets(pets: readonly Identity[], removed: readonly string[]): void {
    this.pets = [...pets];
    this.removals = new Set(removed);
  }

  async start(): Promise<void> {
    const t = this.conn.topics;
    this.conn.subscribe(topics.haStatus(t), (_topic, payload) => this.onHaStatus(payload));
    this.conn.onConnect(() => {
      void this.announce('connect');
      this.kick();
    });
    await this.conn.start();
  }

  /**
   * Durably queues an event and starts delivering. Returns once it is on disk,
   * or, when the disk refuses, once it is queued in memory (never throws for that).
   */
  enqueue(event: PetEvent): void {
    this.unsaved.push(event);
    this.saveUnsaved();
    this.log.info(`event ${event.type}`, { id: event.id, pet: event.pet, track: event.track, confidence: event.confidence });
    this.kick();
  }

  /** Events not delivered yet: on disk, plus those only in memory (disk errors). */
  get pendingCount(): number {
    return this.outbox.pending().length + this.unsaved.length;
  }

  publishState(petId: string, state: PetState): void {
    if (!this.conn.connected) return; // re-published in full on reconnect
    this.conn.publish(topics.petState(this.conn.topics, petId), JSON.stringify(state), { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn('state publish failed (re-sent on reconnect)', { pet: petId, error: err as Error });
    });
  }

  publishCamera(name: string, state: CameraState): void {
    if (!this.conn.connected) return; // re-published on reconnect
    this.conn.publish(topics.cameraState(this.conn.topics, name), JSON.stringify(state), { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn('camera state publish failed (re-sent on reconnect)', { camera: name, error: err as Error });
    });
  }

  publishSnapshot(petId: string, jpeg: Buffer): void {
    if (!this.conn.connected) return;
    this.conn.publish(topics.petSnapshot(this.conn.topics, petId), jpeg, { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn('snapshot publish failed (re-sent on reconnect)', { pet: petId, error: err as Error });
    });
  }

  /** Delivers what it can within `graceMs`, then disconnects with `offline`. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.draining) await Promise.race([this.draining, new Promise((r) => setTimeout(r, graceMs))]);
    await this.conn.stop();
    this.saveUnsaved();
    const left = this.outbox.pending().length;
    if (left > 0) this.log.warn('undelivered events stay in the outbox for the next start', { pending: left });
    if (this.unsaved.length > 0) {
      this.log.error('events could not be written to disk and were not delivered: they are lost', { code: 'OUTBOX_WRITE', lost: this.unsaved.map((e) => e.id) });
    }
  }

  /** Moves events held in memory into the outbox, in order; false while the disk still refuses. */
  private saveUnsaved(): boolean {
    while (this.unsaved.length > 0) {
      try {
        this.outbox.append(this.unsaved[0]!);
      } catch (err) {
        const e = GlovesError.from(err);
        if (!this.diskFailing) this.log.error(`${e.message}; events are kept in memory and retried`, { code: e.code, pending: this.unsaved.length });
        this.diskFailing = true;
        this.retryLater();
        return false;
      }
      this.unsaved.shift();
    }
    if (this.diskFailing) this.log.info('outbox writable again', { code: 'OUTBOX_WRITE' });
    this.diskFailing = false;
    return true;
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.saveUnsaved();
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  private kick(): void {
    if (this.draining || this.stopping || !this.conn.connected || this.pendingCount === 0) return;
    let failed = false;
    this.draining = this.drain()
      .catch((err: unknown) => {
        failed = true;
        const e = GlovesError.from(err);
        this.log.error(`event delivery failed: ${e.message}; retrying`, { code: e.code });
      })
      .finally(() => {
        this.draining = null;
        if (failed) this.retryLater();
        // Events appended during the last publish, or a reconnect meanwhile.
        else if (!this.stopping) this.kick();
      });
  }

  private async drain(): Promise<void> {
    const topic = topics.events(this.conn.topics);
    while (this.conn.connected) {
      if (this.unsaved.length > 0) this.saveUnsaved();
      const head = this.outbox.head();
      // Stored events first; events only in memory are always younger than all of them.
      const event = head?.event ?? this.unsaved[0];
      if (!event) return;
      try {
        // mqtt.js keeps an unacknowledged QoS 1 packet and re-sends it after a
        // reconnect; the promise settles on PUBACK, so one event is in flight at a time.
        await this.conn.publish(topic, JSON.stringify(event), { qos: 1, retain: false });
      } catch (err) {
        this.log.warn('event delivery interrupted; it stays in the outbox', { id: event.id, error: err as Error });
        return;
      }
      this.delivered++;
      if (head) {
        try {
          this.outbox.ack(head.seq);
        } catch (err) {
          // The head advanced in memory; only a crash before the next ack would redeliver it (same id).
          const e = GlovesError.from(err);
          this.log.error(`${e.message}; a restart may redeliver event ${head.event.id} (same id)`, { code: e.code });
        }
      } else if (this.unsaved[0] === event) {
        this.unsaved.shift();
      }
    }
  }

  private onHaStatus(payload: Buffer): void {
    const text = payload.toString('utf8').trim();
    if (text === 'online') void this.announce('homeassistant online');
    else if (text !== 'offline') this.log.warn('ignoring malformed Home Assistant status payload (expected online or offline)', { topic: topics.haStatus(this.conn.topics), payload: text.slice(0, 80) });
  }

  /** Discovery, removals, states and snapshots; all retained. */
  private async announce(why: string): Promise<void> {
    const t = this.conn.topics;
    const retained = { qos: 1 as const, retain: true };
    const jobs: Promise<void>[] = [];
    const states = this.opts.states();
    if (this.opts.discovery) {
      for (const pet of this.pets) for (const m of announcePet(this.opts.discovery, pet)) jobs.push(this.conn.publish(m.topic, m.payload, retained));
    }
    for (const pet of this.pets) {
      const s = states[pet.petId];
      if (s) jobs.push(this.conn.publish(topics.petState(t, pet.petId), JSON.stringify(s), retained));
      const snap = join(this.opts.snapshotsDir, `${safeId(pet.petId)}.jpg`);
      if (existsSync(snap)) jobs.push(this.conn.publish(topics.petSnapshot(t, pet.petId), readFileSync(snap), retained));
    }
    const cam = this.opts.camera?.();
    if (cam) jobs.push(this.conn.publish(topics.cameraState(t, cam.name), JSON.stringify(cam.state), retained));
    const removals = [...this.removals];
    for (const id of removals) {
      const msgs = [...(this.opts.discovery ? removePet(this.opts.discovery, id) : []), { topic: topics.petState(t, id), payload: '' }, { topic: topics.petSnapshot(t, id), payload: '' }];
      jobs.push(
        Promise.all(msgs.map((m) => this.conn.publish(m.topic, m.payload, retained))).then(() => {
          this.removals.delete(id);
          this.log.info('removed the entities of a deleted pet', { pet: id });
          this.opts.onRemoved(id);
        }),
      );
    }
    try {
      await Promise.all(jobs);
      this.log.info('announced pets', { why, pets: this.pets.length, discovery: this.opts.discovery !== null });
    } catch (err) {
      this.log.warn('announcement interrupted; it is repeated on reconnect', { why, error: err as Error });
    }
  }
}

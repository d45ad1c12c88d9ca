/**
 * The MQTT side of the daemon: events from the outbox (QoS 1, not retained, in
 * order, one in flight), retained per-pet states and snapshots, and Home
 * Assistant discovery. On every connect, and whenever Home Assistant announces
 * `online` on `<prefix>/status`, it re-publishes discovery and current states.
 *
 * Retained topics only ever carry state; events are never retained, so a
 * reconnecting consumer cannot re-trigger an automation from a stale event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Outbox } from '../events/outbox.js';
import type { PetEvent } from '../events/types.js';
import type { PetState } from '../presence/types.js';
import type { Identity } from '../recognition/types.js';
import { announcePet, removePet, type DiscoveryContext } from './discovery.js';
import type { MqttConnection } from './connection.js';
import { safeId, topics } from './topics.js';

export interface BridgeOptions {
  /** null: discovery disabled. */
  discovery: DiscoveryContext | null;
  /** Where the latest snapshot of each pet is kept (`<petId>.jpg`). */
  snapshotsDir: string;
  /** Current states of the enrolled pets (for re-publication). */
  states: () => Record<string, PetState>;
  /** Called once a deleted pet's entities and retained topics were cleared on the broker. */
  onRemoved: (petId: string) => void;
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

  /** Durably queues an event and starts delivering. Returns once it is on disk. */
  enqueue(event: PetEvent): void {
    this.outbox.append(event);
    this.log.info(`event ${event.type}`, { id: event.id, pet: event.pet, track: event.track, confidence: event.confidence });
    this.kick();
  }

  publishState(petId: string, state: PetState): void {
    if (!this.conn.connected) return; // re-published in full on reconnect
    this.conn.publish(topics.petState(this.conn.topics, petId), JSON.stringify(state), { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn('state publish failed (re-sent on reconnect)', { pet: petId, error: err as Error });
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
    if (this.draining) await Promise.race([this.draining, new Promise((r) => setTimeout(r, graceMs))]);
    await this.conn.stop();
    const left = this.outbox.pending().length;
    if (left > 0) this.log.warn('undelivered events stay in the outbox for the next start', { pending: left });
  }

  private kick(): void {
    if (this.draining || !this.conn.connected || this.outbox.pending().length === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // Events appended during the last publish, or a reconnect meanwhile.
      if (!this.stopping) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const topic = topics.events(this.conn.topics);
    for (let head = this.outbox.head(); head && this.conn.connected; head = this.outbox.head()) {
      try {
        // mqtt.js keeps an unacknowledged QoS 1 packet and re-sends it after a
        // reconnect; the promise settles on PUBACK, so one event is in flight at a time.
        await this.conn.publish(topic, JSON.stringify(head.event), { qos: 1, retain: false });
      } catch (err) {
        this.log.warn('event delivery interrupted; it stays in the outbox', { id: head.event.id, error: err as Error });
        return;
      }
      this.outbox.ack(head.seq);
      this.delivered++;
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

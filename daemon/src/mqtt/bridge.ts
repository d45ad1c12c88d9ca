/**
 * The MQTT side of the daemon: events from the durable queue (QoS 1, not
 * retained, in order, one in flight), retained per-pet states, snapshots,
 * camera availability and the box's stats, and Home Assistant discovery
 * (./ha-discovery.ts). On every connect it first clears stale discovery
 * configs, then (and whenever Home Assistant announces `online`) re-publishes
 * discovery and everything retained.
 *
 * An event may wait for its snapshot (`enqueue(event, before)`): it is on disk
 * at once, but goes out only once the snapshot was published (or failed, or
 * SNAPSHOT_WAIT_MS passed), so "Mittens is here" comes with this visit's picture.
 * An event delivered more than `eventMaxAgeMs` after it happened (an outbox
 * replay) carries `"replayed": true`, which the HA templates ignore.
 *
 * Retained topics only ever carry state; events are never retained, so a
 * reconnecting consumer cannot re-trigger an automation from a stale event.
 * Durability (outbox, disk errors) is ../events/event-queue.ts; a failed
 * delivery round is logged and retried after RETRY_MS, never an unhandled
 * rejection.
 */
import { GlovesError } from '../errors.js';
import type { EventQueue } from '../events/event-queue.js';
import type { SnapshotStore } from '../events/snapshot-store.js';
import type { PetEvent } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import type { PetState } from '../presence/types.js';
import type { Identity } from '../recognition/types.js';
import type { MqttConnection } from './connection.js';
import type { HomeAssistantDiscovery } from './ha-discovery.js';
import { topics } from './topics.js';

/** Retry interval for a failed delivery round. */
const RETRY_MS = 1000;
/** The longest an event waits for its snapshot before it goes out without. */
const SNAPSHOT_WAIT_MS = 3000;

export interface BridgeOptions {
  /** Current states of the enrolled pets (for re-publication). */
  states: () => Record<string, PetState>;
  /** Called once a deleted pet's entities and retained topics were cleared on the broker. */
  onRemoved: (petId: string) => void;
  /** Each camera's id and current availability (for re-publication); absent: not published. */
  cameras?: () => readonly CameraStatus[];
  /** Events delivered later than this after their `ts` are flagged `replayed` (default 2 min). */
  eventMaxAgeMs?: number;
}

/** The retained `<base>/stats` of the box (the hub's diagnostic sensors). */
export interface HubStats {
  /** Frames per second over the last interval, all cameras together; null before there is one. */
  fps: number | null;
  /** The same per camera id. */
  cameras: Record<string, number | null>;
  /** Events waiting in the outbox. */
  outbox: number;
  /** Detector and embedder in use. */
  model: string;
  /** ISO time of this sample. */
  ts: string;
}

/**
 * The payload of an event as delivered now: `replayed` is true when it happened more than `maxAgeMs` ago. Always
 * present, so that HA's templates never read a missing key (HA logs a warning for each one).
 */
export function deliveredEvent(event: PetEvent, nowMs: number, maxAgeMs: number): PetEvent {
  return { ...event, replayed: nowMs - Date.parse(event.ts) > maxAgeMs };
}

/** Retained at `<base>/cameras/<id>/state`: whether the camera delivers frames, and why not. */
export interface CameraState {
  /** lost: reconnecting; failed: a fatal error (down until a restart); ended: a file source read to its end. */
  state: 'online' | 'lost' | 'failed' | 'ended';
  /** ISO time of the last change. */
  since: string;
  /** Why it is lost (a camera error message), else null. */
  error: string | null;
}

/** One camera as MQTT shows it: `<base>/cameras/<id>/state` (JSON) and `.../status` (`online`/`offline`). */
export interface CameraStatus {
  id: string;
  state: CameraState;
}

export interface BridgeParts {
  conn: MqttConnection;
  queue: EventQueue;
  discovery: HomeAssistantDiscovery;
  snapshots: SnapshotStore;
}

export class MqttBridge {
  private readonly conn: MqttConnection;
  private readonly queue: EventQueue;
  private readonly discovery: HomeAssistantDiscovery;
  private readonly snapshots: SnapshotStore;
  private readonly log: Logger;
  private readonly opts: BridgeOptions;
  private pets: Identity[] = [];
  private removals = new Set<string>();
  /** Events waiting for their snapshot to be published first, by id. */
  private readonly before = new Map<string, Promise<unknown>>();
  private stats: HubStats | null = null;
  private draining: Promise<void> | null = null;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | null = null;
  delivered = 0;

  constructor(parts: BridgeParts, opts: BridgeOptions, log: Logger) {
    this.conn = parts.conn;
    this.queue = parts.queue;
    this.discovery = parts.discovery;
    this.snapshots = parts.snapshots;
    this.opts = opts;
    this.log = log;
  }

  /** The enrolled pets to announce, and ids of deleted pets whose entities must go. */
  setPets(pets: readonly Identity[], removed: readonly string[]): void {
    this.pets = [...pets];
    this.removals = new Set(removed);
  }

  /** The enrolled pets changed while running: announce the new set now, and clear the removed pets' entities. */
  updatePets(pets: readonly Identity[], removed: readonly string[]): void {
    this.pets = [...pets];
    for (const id of removed) this.removals.add(id);
    if (this.conn.connected && !this.stopping) void this.announce('pets changed');
  }

  async start(): Promise<void> {
    this.queue.onRetry = () => this.kick();
    this.discovery.start(() => void this.announce('homeassistant online'));
    this.conn.onConnect(() => {
      void this.clearStale().then(() => this.announce('connect'));
      this.kick();
    });
    await this.conn.start();
  }

  /** A stop() during start(): stop waiting for the broker. */
  interrupt(): void {
    this.conn.interrupt();
  }

  /** Durably queues an event and starts delivering (never throws for a disk error); it goes out after `before` settles. */
  enqueue(event: PetEvent, before?: Promise<unknown>): void {
    if (before) {
      this.before.set(event.id, before);
      void before.catch(() => undefined).finally(() => this.kick());
    }
    this.queue.push(event);
    this.log.info(`event ${event.type}`, { id: event.id, pet: event.pet, track: event.track, confidence: event.confidence });
    this.kick();
  }

  /** Events not delivered yet: on disk, plus those only in memory (disk errors). */
  get pendingCount(): number {
    return this.queue.pending;
  }

  publishState(petId: string, state: PetState): void {
    this.publishRetained(topics.petState(this.conn.topics, petId), JSON.stringify(state), 'state', { pet: petId });
  }

  /** A camera's state changed: its state and status, and the any-camera status (./availability.ts). */
  publishCamera(id: string, state: CameraState): void {
    for (const m of this.cameraMessages([{ id, state }])) this.publishRetained(m.topic, m.payload, 'camera state', { camera: id });
  }

  /** Retained camera topics: each camera's state and status, and whether any camera is online (from every camera's state). */
  private cameraMessages(changed: readonly CameraStatus[]): { topic: string; payload: string }[] {
    const t = this.conn.topics;
    const all = this.opts.cameras?.() ?? changed;
    return [
      ...changed.flatMap((c) => [
        { topic: topics.cameraState(t, c.id), payload: JSON.stringify(c.state) },
        { topic: topics.cameraStatus(t, c.id), payload: statusOf(c.state) },
      ]),
      { topic: topics.camerasOnline(t), payload: all.some((c) => c.state.state === 'online') ? 'online' : 'offline' },
    ];
  }

  /** Resolves once the broker has the snapshot (or at once while offline: it is re-sent on reconnect). */
  publishSnapshot(petId: string, jpeg: Buffer): Promise<void> {
    return this.publishRetained(topics.petSnapshot(this.conn.topics, petId), jpeg, 'snapshot', { pet: petId });
  }

  /** The latest unknown animal's snapshot; resolves as publishSnapshot does. */
  publishUnknownSnapshot(jpeg: Buffer): Promise<void> {
    return this.publishRetained(topics.unknownSnapshot(this.conn.topics), jpeg, 'unknown snapshot', {});
  }

  publishStats(stats: HubStats): void {
    this.stats = stats;
    void this.publishRetained(topics.stats(this.conn.topics), JSON.stringify(stats), 'stats', {});
  }

  /** Delivers what it can within `graceMs`, marks every camera offline, then disconnects with `offline`. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.draining) await Promise.race([this.draining, new Promise((r) => setTimeout(r, graceMs))]);
    await this.camerasOffline(graceMs);
    await this.conn.stop();
    this.queue.close();
  }

  /** A clean stop: no camera is watched any more (a crash leaves them to the daemon's last will on `status`). */
  private async camerasOffline(graceMs: number): Promise<void> {
    const cams = this.opts.cameras?.() ?? [];
    if (!this.conn.connected || cams.length === 0) return;
    const t = this.conn.topics;
    const msgs = [...cams.map((c) => topics.cameraStatus(t, c.id)), topics.camerasOnline(t)];
    const sent = Promise.all(msgs.map((topic) => this.conn.publish(topic, 'offline', { qos: 1, retain: true }))).catch((err: unknown) =>
      this.log.warn('camera status offline not sent', { error: err as Error }),
    );
    await Promise.race([sent, new Promise((r) => setTimeout(r, Math.min(graceMs, 1000)).unref())]);
  }

  /** Retained and re-published in full on reconnect, so a publish while offline is skipped. Never rejects. */
  private publishRetained(topic: string, payload: string | Buffer, what: string, context: Record<string, unknown>): Promise<void> {
    if (!this.conn.connected) return Promise.resolve();
    return this.conn.publish(topic, payload, { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn(`${what} publish failed (re-sent on reconnect)`, { ...context, error: err as Error });
    });
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  private kick(): void {
    if (this.draining || this.stopping || !this.conn.connected || this.queue.pending === 0) return;
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
      const next = this.queue.head();
      if (!next) return;
      const before = this.before.get(next.event.id);
      if (before) {
        await Promise.race([before.catch(() => undefined), new Promise((r) => setTimeout(r, SNAPSHOT_WAIT_MS).unref())]);
        this.before.delete(next.event.id);
        continue;
      }
      try {
        // mqtt.js keeps an unacknowledged QoS 1 packet and re-sends it after a
        // reconnect; the promise settles on PUBACK, so one event is in flight at a time.
        const payload = deliveredEvent(next.event, Date.now(), this.opts.eventMaxAgeMs ?? 120_000);
        await this.conn.publish(topic, JSON.stringify(payload), { qos: 1, retain: false });
      } catch (err) {
        this.log.warn('event delivery interrupted; it stays in the outbox', { id: next.event.id, error: err as Error });
        return;
      }
      this.delivered++;
      this.queue.delivered(next);
    }
  }

  /** Stale discovery configs under our node id go before we announce (never throws). */
  private async clearStale(): Promise<void> {
    try {
      await this.discovery.clearStale(this.pets);
    } catch (err) {
      this.log.warn('could not check for stale discovery configs; trying again at the next connect', { error: err as Error });
    }
  }

  /** Discovery, removals, states, snapshots, camera availability and stats; all retained. */
  private async announce(why: string): Promise<void> {
    const t = this.conn.topics;
    const retained = { qos: 1 as const, retain: true };
    const jobs: Promise<void>[] = [];
    const states = this.opts.states();
    for (const m of this.discovery.announce(this.pets)) jobs.push(this.conn.publish(m.topic, m.payload, retained));
    for (const pet of this.pets) {
      const s = states[pet.petId];
      if (s) jobs.push(this.conn.publish(topics.petState(t, pet.petId), JSON.stringify(s), retained));
      const snap = this.snapshots.read(pet.petId);
      if (snap) jobs.push(this.conn.publish(topics.petSnapshot(t, pet.petId), snap, retained));
    }
    const unknown = this.snapshots.readUnknown();
    if (unknown) jobs.push(this.conn.publish(topics.unknownSnapshot(t), unknown, retained));
    const cams = this.opts.cameras?.() ?? [];
    if (cams.length > 0) for (const m of this.cameraMessages(cams)) jobs.push(this.conn.publish(m.topic, m.payload, retained));
    if (this.stats) jobs.push(this.conn.publish(topics.stats(t), JSON.stringify(this.stats), retained));
    for (const id of [...this.removals]) {
      const msgs = [
        ...this.discovery.remove(id),
        { topic: topics.petState(t, id), payload: '' },
        { topic: topics.petSnapshot(t, id), payload: '' },
      ];
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
      this.log.info('announced pets', { why, pets: this.pets.length, discovery: this.discovery.enabled });
    } catch (err) {
      this.log.warn('announcement interrupted; it is repeated on reconnect', { why, error: err as Error });
    }
  }
}

function statusOf(s: CameraState): 'online' | 'offline' {
  return s.state === 'online' ? 'online' : 'offline';
}

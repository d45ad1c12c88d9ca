/**
 * Home Assistant discovery as its own unit (as zigbee2mqtt's extensions are):
 * the retained config messages that announce the hub and each pet and remove
 * a pet's entities; Home Assistant's birth message (`<prefix>/status` =
 * `online`), after which everything must be announced again; and discovery
 * hygiene: at startup, every retained config under this device's node id that
 * Gloves does not own now is cleared (a wiped state directory, a renamed entity
 * key, discovery turned off), so no stale entity stays in HA for ever.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { Identity } from '../recognition/types.js';
import type { MqttConnection } from './connection.js';
import { announcePet, removePet, type DiscoveryContext } from './discovery.js';
import { announceHub } from './hub-discovery.js';
import { baseTopic, topics } from './topics.js';

export interface RetainedMessage {
  topic: string;
  payload: string;
}

/** How long to wait for the broker to hand back the retained configs. */
const SYNC_TIMEOUT_MS = 5000;

export class HomeAssistantDiscovery {
  private readonly conn: MqttConnection;
  /** null: discovery is turned off (only the birth message is still followed, and stale configs cleared). */
  private readonly ctx: DiscoveryContext | null;
  private readonly log: Logger;

  constructor(conn: MqttConnection, ctx: DiscoveryContext | null, log: Logger) {
    this.conn = conn;
    this.ctx = ctx;
    this.log = log;
  }

  get enabled(): boolean {
    return this.ctx !== null;
  }

  /** Follows Home Assistant's birth message; call before the connection starts. */
  start(onOnline: () => void): void {
    this.conn.subscribe(topics.haStatus(this.conn.topics), (_topic, payload) => {
      const text = payload.toString('utf8').trim();
      if (text === 'online') onOnline();
      else if (text !== 'offline')
        this.log.warn('ignoring malformed Home Assistant status payload (expected online or offline)', {
          topic: topics.haStatus(this.conn.topics),
          payload: text.slice(0, 80),
        });
    });
  }

  /** The config messages of the hub and of every pet's entities. */
  announce(pets: readonly Identity[]): RetainedMessage[] {
    const ctx = this.ctx;
    return ctx ? [...announceHub(ctx), ...pets.flatMap((p) => announcePet(ctx, p))] : [];
  }

  /** The empty config messages that remove a deleted pet's entities. */
  remove(petId: string): RetainedMessage[] {
    return this.ctx ? removePet(this.ctx, petId) : [];
  }

  /**
   * Reads back the retained configs under this device's node id and clears those not in
   * `announce(pets)`. Returns the cleared topics. The broker hands retained messages over
   * right after SUBACK; a marker published after it, on a topic of our own, comes back
   * behind them, so its arrival means all were read.
   */
  async clearStale(pets: readonly Identity[]): Promise<string[]> {
    const owned = new Set(this.announce(pets).map((m) => m.topic));
    const filter = topics.discoveryFilter(this.conn.topics);
    const marker = `${baseTopic(this.conn.topics)}/discovery_sync`;
    const token = randomUUID();
    const found = new Set<string>();
    let done: () => void = () => {};
    const synced = new Promise<void>((resolve) => (done = resolve));
    try {
      await this.conn.subscribeNow(filter, (topic, payload) => {
        if (payload.length > 0) found.add(topic);
        else found.delete(topic);
      });
      await this.conn.subscribeNow(marker, (_t, payload) => {
        if (payload.toString() === token) done();
      });
      await this.conn.publish(marker, token, { qos: 1, retain: false });
      const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SYNC_TIMEOUT_MS).unref());
      if (!(await Promise.race([synced.then(() => true), timer]))) {
        this.log.warn('stale discovery configs not checked: the broker did not echo the sync marker', { timeoutMs: SYNC_TIMEOUT_MS });
        return [];
      }
    } finally {
      await Promise.all([this.conn.unsubscribe(filter), this.conn.unsubscribe(marker)]).catch(() => undefined);
    }
    const stale = [...found].filter((t) => !owned.has(t)).sort();
    await Promise.all(stale.map((t) => this.conn.publish(t, '', { qos: 1, retain: true })));
    if (stale.length > 0)
      this.log.info('cleared stale Home Assistant discovery configs', { count: stale.length, topics: stale.slice(0, 20) });
    return stale;
  }
}

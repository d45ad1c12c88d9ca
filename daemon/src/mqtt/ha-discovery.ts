/**
 * Home Assistant discovery as its own unit (as zigbee2mqtt's extensions are):
 * the retained config messages that announce and remove each pet's entities,
 * and Home Assistant's birth message (`<prefix>/status` = `online`), after
 * which everything must be announced again.
 */
import type { Logger } from '../log/logger.js';
import type { Identity } from '../recognition/types.js';
import type { MqttConnection } from './connection.js';
import { announcePet, removePet, type DiscoveryContext } from './discovery.js';
import { topics } from './topics.js';

export interface RetainedMessage {
  topic: string;
  payload: string;
}

export class HomeAssistantDiscovery {
  private readonly conn: MqttConnection;
  /** null: discovery is turned off (only the birth message is still followed). */
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

  /** The config messages of a pet's entities. */
  announce(pet: Identity): RetainedMessage[] {
    return this.ctx ? announcePet(this.ctx, pet) : [];
  }

  /** The empty config messages that remove a deleted pet's entities. */
  remove(petId: string): RetainedMessage[] {
    return this.ctx ? removePet(this.ctx, petId) : [];
  }
}

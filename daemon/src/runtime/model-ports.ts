/** The model manager as the HTTP API and MQTT see it: the API's port, and the notices published on the broker. */
import type { Readable } from 'node:stream';
import type { ModelsPort, ModelStatusView } from '../http/ports.js';
import type { Logger } from '../log/logger.js';
import type { MqttConnection } from '../mqtt/connection.js';
import { topics } from '../mqtt/topics.js';
import type { ModelManager, ModelNotices } from './model-manager.js';

export class HttpModels implements ModelsPort {
  private readonly manager: ModelManager;

  constructor(manager: ModelManager) {
    this.manager = manager;
  }

  status(): ReturnType<ModelsPort['status']> {
    return this.manager.status();
  }

  install(archive: Readable): Promise<ModelStatusView> {
    return this.manager.install(archive);
  }

  activate(version: string | null): Promise<ModelStatusView> {
    return this.manager.activate(version, `activated by request`);
  }

  rollback(): Promise<ModelStatusView> {
    return this.manager.rollback('requested');
  }
}

/** Retained `<base>/<device>/model` with the active version; `<base>/<device>/model/events` for each change. */
export function modelNotices(conn: MqttConnection, log: Logger): ModelNotices {
  const send = (topic: string, payload: object, retain: boolean): void => {
    if (!conn.connected) return;
    conn
      .publish(topic, JSON.stringify({ ...payload, ts: new Date().toISOString() }), { qos: 1, retain })
      .catch((err: unknown) => log.warn('could not publish a model notice', { topic, error: err as Error }));
  };
  return {
    active: (s) => send(topics.model(conn.topics), s, true),
    event: (e) => send(topics.modelEvents(conn.topics), e, false),
  };
}

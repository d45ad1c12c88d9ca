/**
 * The broker connection: connects with a last will of `offline` on
 * `<base>/status`, publishes `online` (retained) on every connect and `offline`
 * on clean stop, and reconnects forever once it has started.
 *
 * Startup contract: start() resolves on the first successful connect, rejects
 * at once with MQTT_AUTH / MQTT_TLS / MQTT_REFUSED, and after
 * `connectTimeoutSeconds` with MQTT_UNREACHABLE (no broker) or
 * MQTT_BROKER_UNAVAILABLE (a broker that kept refusing for now: server
 * unavailable or busy, connection rate exceeded; retried until then). Later
 * failures of any kind are logged and retried.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { classifyConnectError, clientOptions, topicConfig, type MqttConfig } from './options.js';
import { redactUrl } from './url.js';
import { topics, type TopicConfig } from './topics.js';

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export class MqttConnection {
  private readonly cfg: MqttConfig;
  private readonly deviceId: string;
  private readonly log: Logger;
  private client: MqttClient | null = null;
  private readonly connectHandlers: (() => void)[] = [];
  private readonly subscriptions = new Map<string, MessageHandler>();
  /** Filters unsubscribed: a message still in flight to them is no surprise. */
  private readonly ended = new Set<string>();
  private lastErrorCode: unknown = undefined;
  private lastError: Error | undefined;
  /** Ends a start() still waiting for the broker (stop() during startup). */
  private abortStart: (() => void) | null = null;
  private readonly summaryMs: number;
  readonly topics: TopicConfig;

  /** `summaryMs`: during an outage, how often "still away" is logged (state changes are logged at once). */
  constructor(cfg: MqttConfig, deviceId: string, log: Logger, summaryMs = 60_000) {
    this.cfg = cfg;
    this.summaryMs = summaryMs;
    this.deviceId = deviceId;
    this.log = log;
    this.topics = topicConfig(cfg, deviceId);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Called after every (re)connect, once `online` has been published. */
  onConnect(handler: () => void): void {
    this.connectHandlers.push(handler);
  }

  /** Subscribes (QoS 1) now and after every reconnect; `filter` may hold the wildcards + and #. */
  subscribe(filter: string, handler: MessageHandler): void {
    this.subscriptions.set(filter, handler);
    this.ended.delete(filter);
    if (this.client?.connected) this.client.subscribe(filter, { qos: 1 });
  }

  /** Subscribes now (and after a reconnect until unsubscribed); resolves once the broker acknowledged it (SUBACK). */
  async subscribeNow(filter: string, handler: MessageHandler): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new GlovesError('MQTT_UNREACHABLE', 'mqtt: not connected', { filter });
    this.subscriptions.set(filter, handler);
    this.ended.delete(filter);
    await client.subscribeAsync(filter, { qos: 1 });
  }

  /** Ends a subscription; messages already on the way to it are dropped quietly. */
  async unsubscribe(filter: string): Promise<void> {
    this.subscriptions.delete(filter);
    this.ended.add(filter);
    const client = this.client;
    if (client?.connected) await client.unsubscribeAsync(filter);
  }

  async start(): Promise<void> {
    const opts = clientOptions(this.cfg, this.deviceId);
    const url = redactUrl(this.cfg.url);
    const client = mqtt.connect(this.cfg.url, opts);
    this.client = client;
    let started = false;
    let up = false;
    let lostAt = 0;
    let lastSummary = 0;
    let attempts = 0;
    client.on('message', (topic, payload) => {
      let handled = false;
      for (const [filter, h] of this.subscriptions) {
        if (!topicMatches(filter, topic)) continue;
        handled = true;
        h(topic, payload);
      }
      if (!handled && ![...this.ended].some((f) => topicMatches(f, topic)))
        this.log.warn('message on a topic nobody handles; ignored', { topic });
    });
    client.on('connect', () => {
      this.lastErrorCode = undefined;
      up = true;
      if (lostAt > 0) this.log.info('broker back', { url, lostSeconds: Math.round((Date.now() - lostAt) / 1000), attempts });
      lostAt = 0;
      this.log.info('connected to broker', { url, protocolVersion: this.cfg.protocolVersion });
      client.publish(topics.status(this.topics), 'online', { qos: 1, retain: true });
      if (this.subscriptions.size > 0) client.subscribe([...this.subscriptions.keys()], { qos: 1 });
      for (const h of this.connectHandlers) {
        try {
          h();
        } catch (err) {
          this.log.error('connect handler failed', { error: err as Error });
        }
      }
    });
    client.on('close', () => {
      // After stop() this.client is null: a clean disconnect, not a loss.
      if (!started || this.client !== client) return;
      // mqtt.js closes again after every failed reconnect: log the loss once, then a summary now and then.
      const now = Date.now();
      if (up) {
        up = false;
        lostAt = lastSummary = now;
        attempts = 0;
        this.log.warn('broker connection lost; events wait in the outbox', { url });
        return;
      }
      attempts++;
      if (now - lastSummary >= this.summaryMs) {
        lastSummary = now;
        this.log.warn(`broker still away after ${Math.round((now - lostAt) / 1000)} s; events wait in the outbox`, { url, attempts });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.abortStart = null;
        client.end(true);
        reject(classifyConnectError(this.lastError ?? new Error(`no answer within ${this.cfg.connectTimeoutSeconds}s`), url).error);
      }, this.cfg.connectTimeoutSeconds * 1000);
      this.abortStart = () => {
        this.abortStart = null;
        clearTimeout(timer);
        client.removeListener('connect', onConnect);
        client.end(true);
        reject(new GlovesError('START_INTERRUPTED', `stopped while waiting for broker ${url}`, { url }));
      };
      const onError = (err: Error): void => {
        const c = classifyConnectError(err, url, !started);
        this.lastError = err;
        if (!started && c.fatal) {
          this.abortStart = null;
          clearTimeout(timer);
          client.removeListener('connect', onConnect);
          client.end(true);
          reject(c.error);
          return;
        }
        // Log each distinct failure once, not on every retry.
        const code = (err as { code?: unknown }).code;
        if (code !== this.lastErrorCode)
          this.log.warn(c.error.message, { code: c.error.code, reason: code ?? null, retryEverySeconds: this.cfg.reconnectSeconds });
        this.lastErrorCode = code;
      };
      const onConnect = (): void => {
        this.abortStart = null;
        started = true;
        clearTimeout(timer);
        resolve();
      };
      client.on('error', onError);
      client.once('connect', onConnect);
    });
  }

  /** Abandons a start() that still waits for the broker: it rejects at once with START_INTERRUPTED. */
  interrupt(): void {
    this.abortStart?.();
  }

  /** Publishes; resolves when the broker acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('mqtt: not started'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: opts.qos, retain: opts.retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Publishes `offline` (retained) when connected, then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (client.connected) {
      try {
        await withTimeout(
          new Promise<void>((resolve) => client.publish(topics.status(this.topics), 'offline', { qos: 1, retain: true }, () => resolve())),
          2000,
        );
      } catch {
        this.log.warn('could not confirm the offline status before disconnecting');
      }
    }
    try {
      await withTimeout(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), 3000);
    } catch {
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
  }
}

/** Whether an MQTT topic filter (with + and #) matches a topic name. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

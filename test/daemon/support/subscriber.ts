/** A test MQTT client that records everything it receives, like Home Assistant would subscribe. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  at: number;
}

export class Recorder {
  readonly messages: Received[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain, at: Date.now() });
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  text(topic: string): string[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString());
  }

  /** Event ids in arrival order with QoS 1 redeliveries (same id) removed, as a consumer de-duplicates. */
  eventIds(topic: string): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of this.json<{ id: string }>(topic)) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e.id);
    }
    return out;
  }

  last(topic: string): Received | undefined {
    return this.messages.filter((m) => m.topic === topic).at(-1);
  }

  json<T = Record<string, unknown>>(topic: string): T[] {
    return this.text(topic)
      .filter((t) => t !== '')
      .map((t) => JSON.parse(t) as T);
  }

  /** Resolves when pred() holds (checked on every message), rejects after timeoutMs with `what`. */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // Re-checked on every message and every 100 ms (for conditions outside the broker).
      const poll = setInterval(() => check(), 100);
      const t = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got:\n${this.dump()}`));
      }, timeoutMs);
      let done = false;
      const check = (): void => {
        if (done) return;
        if (pred()) {
          done = true;
          clearTimeout(t);
          clearInterval(poll);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  dump(): string {
    return this.messages
      .map(
        (m) =>
          `${m.retain ? 'R ' : '  '}${m.topic} ${m.payload.length > 300 || m.topic.endsWith('/snapshot') ? `<${m.payload.length} bytes>` : m.payload.toString()}`,
      )
      .join('\n');
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export async function record(url: string, topics: string[], opts: IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 300, ...opts });
  const r = new Recorder(client);
  await client.subscribeAsync(topics, { qos: 1 });
  return r;
}

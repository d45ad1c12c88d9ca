/**
 * The MQTT payloads the daemon reads: homeassistant/status is its only subscription (no commands).
 * Published through a real Mosquitto to a real MqttConnection + HomeAssistantDiscovery; at the end
 * every 'online' must have re-announced once and every other payload but 'offline' been warned about.
 */
import mqtt from 'mqtt';
import { loadConfig } from '../../daemon/src/config/load.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import { HomeAssistantDiscovery } from '../../daemon/src/mqtt/ha-discovery.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import type { FuzzTarget } from './harness.js';

interface HaState {
  broker: Broker;
  conn: MqttConnection;
  ha: mqtt.MqttClient;
  onlines: number;
  malformed: number;
  expected: { online: number; malformed: number; sent: number };
  uncaught: unknown[];
}
let ha: HaState | null = null;
const onUncaught = (e: unknown): void => void ha?.uncaught.push(e);

export const haStatusTarget: FuzzTarget = {
  name: 'ha-status',
  codes: [],
  async setup() {
    const broker = await startMosquitto({});
    const lines: string[] = [];
    const log = createLogger('fuzz', { level: 'warn', sink: (l) => lines.push(l) });
    const cfg = loadConfig({ overrides: { mqtt: { url: broker.url, reconnectSeconds: 0.3 }, 'device.id': 'fuzz' } });
    const conn = new MqttConnection(cfg.mqtt, cfg.device.id, log);
    const state: HaState = {
      broker,
      conn,
      ha: await mqtt.connectAsync(broker.url, { clientId: 'fuzz-ha' }),
      onlines: 0,
      malformed: 0,
      expected: { online: 0, malformed: 0, sent: 0 },
      uncaught: [],
    };
    new HomeAssistantDiscovery(conn, null, log).start(() => state.onlines++);
    Object.defineProperty(state, 'malformed', { get: () => lines.filter((l) => l.includes('malformed Home Assistant status')).length });
    await conn.start();
    ha = state;
    process.on('uncaughtException', onUncaught);
  },
  async seeds() {
    return ['online', 'offline', ' online\n', 'ONLINE', '{"state":"online"}', '', 'on\u0000line', '\xff\xfe'].map((s) =>
      Buffer.from(s, 'utf8'),
    );
  },
  mutate: (m, seeds) => (m.int(10) === 0 ? Buffer.alloc(1 + m.int(200_000), m.int(256)) : m.bytes(m.pick(seeds), seeds)),
  async feed(input) {
    const s = ha!;
    const text = Buffer.from(input).toString('utf8').trim();
    if (text === 'online') s.expected.online++;
    else if (text !== 'offline') s.expected.malformed++;
    s.expected.sent++;
    await s.ha.publishAsync('homeassistant/status', Buffer.from(input), { qos: 1 });
    return 'ok';
  },
  async finish() {
    const s = ha!;
    // Delivery is in order: once a last 'online' arrived, every payload before it was handled.
    await s.ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    for (let t = 0; s.onlines < s.expected.online + 1 && t < 200; t++) await new Promise((r) => setTimeout(r, 50));
    const defects: string[] = [];
    if (s.onlines !== s.expected.online + 1) defects.push(`${s.onlines - 1} re-announcements for ${s.expected.online} 'online' payloads`);
    if (s.malformed !== s.expected.malformed)
      defects.push(`${s.malformed} malformed-status warnings for ${s.expected.malformed} malformed payloads`);
    if (!s.conn.connected) defects.push('the daemon lost its broker connection');
    if (s.uncaught.length > 0) defects.push(`uncaught: ${String(s.uncaught[0])}`);
    return defects;
  },
  async teardown() {
    process.off('uncaughtException', onUncaught);
    if (!ha) return;
    await ha.ha.endAsync();
    await ha.conn.stop();
    await ha.broker.stop();
    ha = null;
  },
};

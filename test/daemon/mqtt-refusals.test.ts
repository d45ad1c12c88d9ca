/**
 * CONNACK refusals: credentials, protocol and client id are fatal at startup;
 * a broker that refuses for now (server unavailable / busy / rate limit) is
 * retried with the reconnect backoff until it accepts. The "busy" broker is a
 * real Mosquitto behind a TCP front that answers the first connections with a
 * refusing CONNACK, as an overloaded or restarting broker cluster does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server } from 'node:net';
import { loadConfig } from '../../daemon/src/config/load.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import { classifyConnectError } from '../../daemon/src/mqtt/options.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { record } from './support/subscriber.js';

test('classification: auth, protocol, client id and ban are fatal; unavailable, busy and rate limits retry', () => {
  const c = (code: number) => classifyConnectError(Object.assign(new Error('Connection refused'), { code }), 'mqtt://b');
  for (const code of [4, 5, 134, 135, 140]) assert.equal([code, c(code).fatal, c(code).error.code], [code, true, 'MQTT_AUTH']);
  for (const code of [1, 2, 132, 133, 138]) assert.equal([code, c(code).fatal, c(code).error.code], [code, true, 'MQTT_REFUSED']);
  for (const code of [3, 136, 137, 159, 128, 151])
    assert.equal([code, c(code).fatal, c(code).error.code], [code, false, 'MQTT_BROKER_UNAVAILABLE']);
  assert.is(c(3).error.context.reason, 3);
});

/** Answers the first `refusals` connections with a refusing CONNACK, then forwards to the real broker. */
function busyFront(
  brokerPort: number,
  refusals: number,
  connack: Buffer,
): Promise<{ server: Server; port: number; refused: () => number }> {
  let refused = 0;
  const server = createServer((sock) => {
    if (refused < refusals) {
      refused++;
      sock.once('data', () => sock.end(connack));
      sock.on('error', () => {});
      return;
    }
    const up = connect(brokerPort, '127.0.0.1');
    sock.pipe(up).pipe(sock);
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, refused: () => refused })),
  );
}

let broker: Broker;
test.before(async () => {
  broker = await startMosquitto({});
});
test.after(async () => {
  await broker?.stop();
});

for (const [protocolVersion, connack, rc] of [
  [4, Buffer.from([0x20, 0x02, 0x00, 0x03]), 3], // 3.1.1: server unavailable
  [5, Buffer.from([0x20, 0x03, 0x00, 137, 0x00]), 137], // v5: server busy
] as const) {
  test(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: CONNACK ${rc} at startup is retried until the broker accepts, and logged`, async () => {
    const front = await busyFront(broker.port, 3, connack);
    const lines: string[] = [];
    const cfg = loadConfig({
      overrides: {
        mqtt: { url: `mqtt://127.0.0.1:${front.port}`, protocolVersion, reconnectSeconds: 0.2, connectTimeoutSeconds: 20 },
        'device.id': `busy${protocolVersion}`,
      },
    });
    const conn = new MqttConnection(cfg.mqtt, cfg.device.id, createLogger('t', { sink: (l) => lines.push(l) }));
    const sub = await record(broker.url, [`gloves/busy${protocolVersion}/status`]);
    try {
      await conn.start();
    } catch (err) {
      assert.unreachable(`start failed: ${(err as GlovesError).code} ${(err as Error).message}`);
    } finally {
      front.server.close();
    }
    assert.ok(conn.connected);
    assert.is(front.refused(), 3, 'the refusals really happened');
    const warns = lines.filter((l) => l.startsWith('WARN') && l.includes('MQTT_BROKER_UNAVAILABLE'));
    assert.is(warns.length, 1, `one warning per distinct failure:\n${lines.join('\n')}`);
    assert.match(warns[0]!, new RegExp(`code ${rc}\\b`));
    await sub.until(() => sub.text(`gloves/busy${protocolVersion}/status`).includes('online'), 5000, 'online through the front');
    await conn.stop();
    await sub.close();
  });
}

test('a broker that keeps refusing for now: MQTT_BROKER_UNAVAILABLE after connectTimeoutSeconds, not at once', async () => {
  const front = await busyFront(broker.port, 1_000_000, Buffer.from([0x20, 0x02, 0x00, 0x03]));
  const cfg = loadConfig({
    overrides: { mqtt: { url: `mqtt://127.0.0.1:${front.port}`, reconnectSeconds: 0.2, connectTimeoutSeconds: 1.5 } },
  });
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, createLogger('t', { level: 'silent' }));
  const t0 = Date.now();
  try {
    await conn.start();
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MQTT_BROKER_UNAVAILABLE', (err as Error).message);
    assert.ok(Date.now() - t0 >= 1400, `gave up after ${Date.now() - t0} ms`);
    assert.ok(front.refused() >= 2, 'retried');
  } finally {
    front.server.close();
  }
});

test('client id rejected (CONNACK 2) stays a fast, fatal MQTT_REFUSED', async () => {
  const front = await busyFront(broker.port, 1_000_000, Buffer.from([0x20, 0x02, 0x00, 0x02]));
  const cfg = loadConfig({
    overrides: { mqtt: { url: `mqtt://127.0.0.1:${front.port}`, reconnectSeconds: 0.2, connectTimeoutSeconds: 10 } },
  });
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, createLogger('t', { level: 'silent' }));
  const t0 = Date.now();
  try {
    await conn.start();
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MQTT_REFUSED');
    assert.ok(Date.now() - t0 < 4000);
    assert.is(front.refused(), 1);
  } finally {
    front.server.close();
  }
});

test.run();

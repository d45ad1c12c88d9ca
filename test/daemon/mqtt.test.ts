/** The MQTT side against a real Mosquitto: discovery, states, outbox delivery, auth and TLS. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import { bridgeFor } from './support/bridge.js';
import { Outbox } from '../../daemon/src/events/outbox.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { createLogger, silentLogger, type Logger } from '../../daemon/src/log/logger.js';
import type { PetState } from '../../daemon/src/presence/types.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { record } from './support/subscriber.js';
import { GlovesError } from '../../daemon/src/errors.js';

const pets = [
  { petId: 'appy', name: 'Appy' },
  { petId: 'birba', name: 'Birba' },
];
const away: PetState = { state: 'away', last_seen: null, last_camera: null, camera: null, confidence: null };
const ev = (id: string, pet = pets[0]!): PetEvent => ({
  id,
  type: 'seen',
  pet: pet.name,
  pet_id: pet.petId,
  camera: 'porch',
  ts: new Date().toISOString(),
  confidence: 0.9,
  box: [1, 2, 3, 4],
  track: 1,
});

function setup(mqtt: Record<string, unknown>, log: Logger = silentLogger()) {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-mqtt-'));
  const cfg = loadConfig({ overrides: { mqtt: { reconnectSeconds: 0.3, connectTimeoutSeconds: 5, ...mqtt }, 'device.id': 'test1' } });
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, log);
  const outbox = new Outbox(dir, log);
  outbox.open();
  const removed: string[] = [];
  const bridge = bridgeFor(
    conn,
    outbox,
    {
      discovery: { ...conn.topics, deviceName: 'Test', swVersion: '0.0.1' },
      snapshotsDir: join(dir, 'snap'),
      states: () => ({ appy: away, birba: away }),
      onRemoved: (id) => removed.push(id),
    },
    log,
  );
  return { dir, cfg, conn, outbox, bridge, removed };
}

async function expectStartError(mqtt: Record<string, unknown>, code: string): Promise<GlovesError> {
  const s = setup(mqtt);
  const t0 = Date.now();
  try {
    await s.bridge.start();
  } catch (err) {
    assert.instance(err, GlovesError);
    assert.is((err as GlovesError).code, code, (err as Error).message);
    assert.ok(Date.now() - t0 < 4000, 'fails fast, not after the connect timeout');
    return err as GlovesError;
  } finally {
    s.outbox.close();
  }
  assert.unreachable(`expected ${code}`);
  throw new Error();
}

let broker: Broker;
// uvu reports nothing when a before-hook throws: print the reason.
test.before(() =>
  startBroker().catch((err: unknown) => {
    console.error('setup failed:', err);
    throw err;
  }),
);

async function startBroker(): Promise<void> {
  broker = await startMosquitto({ users: { gloves: 'secret', ha: 'ha' }, tls: true, persistence: true });
}
test.after(async () => {
  await broker.stop();
});

test('startup announces discovery for every pet, retained states and online status; HA online re-announces', async () => {
  const ha = await record(broker.url, ['gloves/test1/#', 'homeassistant/+/+/+/config'], { username: 'ha', password: 'ha' });
  const lines: string[] = [];
  const s = setup({ url: broker.url, username: 'gloves', password: 'secret' }, createLogger('t', { sink: (l) => lines.push(l) }));
  s.bridge.setPets(pets, ['oldcat']);
  await s.bridge.start();
  const cfgTopic = 'homeassistant/binary_sensor/gloves_test1/appy_presence/config';
  await ha.until(
    () => ha.text('gloves/test1/pets/birba/state').length > 0 && ha.text(cfgTopic).length > 0 && s.removed.length > 0,
    10_000,
    'announcement',
  );
  assert.equal(ha.text('gloves/test1/status'), ['online']);
  for (const p of pets) {
    for (const [comp, ent] of [
      ['binary_sensor', 'presence'],
      ['sensor', 'last_seen'],
      ['sensor', 'camera'],
      ['event', 'event'],
      ['image', 'snapshot'],
    ]) {
      const m = ha.last(`homeassistant/${comp}/gloves_test1/${p.petId}_${ent}/config`);
      assert.ok(m, `${comp} ${ent} of ${p.petId}`);
      const c = JSON.parse(m!.payload.toString());
      assert.is(c.unique_id, `gloves_test1_${p.petId}_${ent}`);
      assert.equal(c.device.identifiers, [`gloves_test1_${p.petId}`]);
      assert.is(c.device.name, p.name);
      assert.is(c.availability[0].topic, 'gloves/test1/status');
      assert.is(c.origin.name, 'Gloves');
    }
    assert.equal(ha.json(`gloves/test1/pets/${p.petId}/state`)[0], away);
  }
  // The deleted pet's entities and retained topics are cleared.
  assert.equal(s.removed, ['oldcat']);
  assert.equal(ha.text('homeassistant/binary_sensor/gloves_test1/oldcat_presence/config'), ['']);
  assert.equal(ha.text('gloves/test1/pets/oldcat/state'), ['']);

  const before = ha.text(cfgTopic).length;
  await ha.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
  await ha.until(() => ha.text(cfgTopic).length > before, 10_000, 're-announcement on homeassistant/status online');
  await ha.client.publishAsync('homeassistant/status', '{"garbage": true}', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(
    lines.some((l) => l.startsWith('WARN') && l.includes('malformed Home Assistant status')),
    lines.join('\n'),
  );

  await s.bridge.stop();
  await ha.until(() => ha.text('gloves/test1/status').at(-1) === 'offline', 5000, 'offline on clean stop');
  assert.is(ha.last('gloves/test1/status')!.retain, false, 'live delivery to a subscriber');
  s.outbox.close();
  await ha.close();
  // A new subscriber gets the retained offline.
  const late = await record(broker.url, ['gloves/test1/status'], { username: 'ha', password: 'ha' });
  await late.until(() => late.messages.length > 0, 5000, 'retained status');
  assert.is(late.last('gloves/test1/status')!.retain, true);
  assert.is(late.text('gloves/test1/status')[0], 'offline');
  await late.close();
});

test('events: QoS 1, not retained, in order; queued on disk while the broker is down and delivered once after restart', async () => {
  const ha = await record(broker.url, ['gloves/test1/events'], { username: 'ha', password: 'ha', clientId: 'ha-events', clean: false });
  const s = setup({ url: broker.url, username: 'gloves', password: 'secret' });
  s.bridge.setPets(pets, []);
  await s.bridge.start();
  s.bridge.enqueue(ev('e1'));
  s.bridge.enqueue(ev('e2'));
  await ha.until(() => ha.messages.length >= 2 && s.outbox.pending().length === 0, 10_000, 'first events');
  assert.ok(ha.messages.every((m) => !m.retain));
  await broker.stop();
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 3; i <= 6; i++) s.bridge.enqueue(ev(`e${i}`));
  assert.equal(
    s.outbox.pending().map((e) => e.event.id),
    ['e3', 'e4', 'e5', 'e6'],
    'on disk while the broker is down',
  );
  await broker.restart();
  await ha.until(() => ha.eventIds('gloves/test1/events').length >= 6, 20_000, 'events after restart');
  await new Promise((r) => setTimeout(r, 500));
  // QoS 1 is at-least-once (the broker may redeliver to a persistent session): a
  // consumer de-duplicates by id and must then see each event once, in order.
  assert.equal(ha.eventIds('gloves/test1/events'), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  // Every delivery of one id is byte-identical: a redelivery, never a second event.
  const byId = new Map<string, string>();
  for (const t of ha.text('gloves/test1/events')) {
    const id = (JSON.parse(t) as PetEvent).id;
    assert.ok(!byId.has(id) || byId.get(id) === t);
    byId.set(id, t);
  }
  assert.is(s.outbox.pending().length, 0);
  await s.bridge.stop();
  s.outbox.close();
  await ha.close();
});

test('events left in the outbox by a previous run are delivered at the next start with their ids', async () => {
  const ha = await record(broker.url, ['gloves/test1/events'], { username: 'ha', password: 'ha' });
  const s = setup({ url: 'mqtt://127.0.0.1:1', connectTimeoutSeconds: 0.5 });
  s.outbox.append(ev('r1'));
  s.outbox.append(ev('r2'));
  s.outbox.close();
  const again = new Outbox(s.dir, silentLogger());
  again.open();
  const cfg = loadConfig({ overrides: { mqtt: { url: broker.url, username: 'gloves', password: 'secret' }, 'device.id': 'test1' } });
  const conn = new MqttConnection(cfg.mqtt, 'test1', silentLogger());
  const bridge = bridgeFor(conn, again, { discovery: null, snapshotsDir: s.dir, states: () => ({}), onRemoved: () => {} }, silentLogger());
  await bridge.start();
  await ha.until(() => ha.messages.length >= 2, 10_000, 'restored events');
  assert.equal(
    ha.json<PetEvent>('gloves/test1/events').map((e) => e.id),
    ['r1', 'r2'],
  );
  await bridge.stop();
  again.close();
  await ha.close();
});

test('wrong password is a clear startup error (MQTT 3.1.1 and 5), fast', async () => {
  for (const protocolVersion of [4, 5]) {
    const err = await expectStartError({ url: broker.url, username: 'gloves', password: 'wrong', protocolVersion }, 'MQTT_AUTH');
    assert.match(err.message, /credentials/);
  }
  await expectStartError({ url: broker.url }, 'MQTT_AUTH');
});

test('TLS: untrusted broker certificate is MQTT_TLS; with the CA and credentials it connects (v5)', async () => {
  await expectStartError({ url: broker.tlsUrl, username: 'gloves', password: 'secret' }, 'MQTT_TLS');
  await expectStartError({ url: broker.tlsUrl, ca: '/nonexistent/ca.pem', username: 'gloves', password: 'secret' }, 'MQTT_TLS_FILE');
  const ha = await record(broker.tlsUrl!, ['gloves/test1/status'], { username: 'ha', password: 'ha', ca: [readFileSync(broker.caFile!)] });
  const s = setup({ url: broker.tlsUrl, ca: broker.caFile, username: 'gloves', password: 'secret', protocolVersion: 5 });
  s.bridge.setPets([], []);
  await s.bridge.start();
  await ha.until(() => ha.text('gloves/test1/status').includes('online'), 5000, 'online over TLS');
  await s.bridge.stop();
  s.outbox.close();
  await ha.close();
});

test('broker unreachable at startup: MQTT_UNREACHABLE after connectTimeoutSeconds', async () => {
  const s = setup({ url: 'mqtt://127.0.0.1:1', connectTimeoutSeconds: 1 });
  try {
    await s.bridge.start();
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MQTT_UNREACHABLE');
  }
  s.outbox.close();
});

test('mutual TLS: a broker that requires client certificates accepts ours', async () => {
  const b = await startMosquitto({ tls: true, requireClientCert: true });
  try {
    await expectStartError({ url: b.tlsUrl, ca: b.caFile }, 'MQTT_TLS');
    const s = setup({ url: b.tlsUrl, ca: b.caFile, cert: b.clientCertFile, key: b.clientKeyFile });
    s.bridge.setPets([], []);
    await s.bridge.start();
    assert.ok(s.conn.connected);
    await s.bridge.stop();
    s.outbox.close();
  } finally {
    await b.stop();
  }
});

test.run();

/**
 * Home Assistant's view on a real Mosquitto: stale discovery configs cleared at
 * startup (and all of ours with discovery off), re-announcement on
 * `homeassistant/status` online, the snapshot of a sighting arriving before its
 * `seen` (and the unknown animal's before `unknown_seen`), replays after a broker
 * outage with their original `ts` and the `replayed` flag, and the cameras'
 * availability. Templates are rendered (nunjucks) on the configs and payloads
 * as the broker delivered them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { Outbox } from '../../daemon/src/events/outbox.js';
import { SnapshotStore } from '../../daemon/src/events/snapshot-store.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { CameraState, CameraStatus } from '../../daemon/src/mqtt/bridge.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import type { DiscoveryContext } from '../../daemon/src/mqtt/discovery.js';
import { Presence } from '../../daemon/src/presence/presence.js';
import { PetStateStore } from '../../daemon/src/presence/store.js';
import { Outputs } from '../../daemon/src/runtime/outputs.js';
import type { RgbImage } from '../../daemon/src/vision/image.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { bridgeFor } from './support/bridge.js';
import { checkConfig, renderTemplate } from './support/ha-schema.js';
import { record } from './support/subscriber.js';

const DEVICE = 'hyg';
const BASE = `gloves/${DEVICE}`;
const appy = { petId: 'appy', name: 'Appy' };
let broker: Broker;

test.before(async () => {
  broker = await startMosquitto({ persistence: true });
});
test.after(async () => {
  await broker.stop();
});

interface SetupOptions {
  discovery?: boolean;
  cameras?: () => CameraStatus[];
  eventMaxAgeMs?: number;
}

function setup(o: SetupOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-ha-'));
  const log = silentLogger();
  const cfg = loadConfig({
    overrides: { mqtt: { url: broker.url, reconnectSeconds: 0.3, connectTimeoutSeconds: 5 }, 'device.id': DEVICE },
  });
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, log);
  const outbox = new Outbox(dir, log);
  outbox.open();
  const ctx: DiscoveryContext = { ...conn.topics, deviceName: 'Hyg', swVersion: '9.9.9', cameras: [{ id: 'porch', name: 'Porch' }] };
  const bridge = bridgeFor(
    conn,
    outbox,
    {
      discovery: o.discovery === false ? null : ctx,
      snapshotsDir: join(dir, 'snap'),
      states: () => ({}),
      onRemoved: () => {},
      ...(o.cameras ? { cameras: o.cameras } : {}),
      ...(o.eventMaxAgeMs ? { eventMaxAgeMs: o.eventMaxAgeMs } : {}),
    },
    log,
  );
  const stop = async (): Promise<void> => {
    await bridge.stop();
    outbox.close();
  };
  return { dir, conn, outbox, bridge, stop };
}

/** What a subscriber connecting now gets retained under `filter`: topic -> payload (non-empty only). */
async function retained(filter: string): Promise<Map<string, string>> {
  const r = await record(broker.url, [filter, `${BASE}/probe`]);
  await r.client.publishAsync(`${BASE}/probe`, 'x', { qos: 1 });
  await r.until(() => r.messages.some((m) => m.topic === `${BASE}/probe`), 5000, 'probe');
  await r.close();
  const out = new Map<string, string>();
  for (const m of r.messages) if (m.retain && m.payload.length > 0) out.set(m.topic, m.payload.toString());
  return out;
}

const mine = (topics: Iterable<string>): string[] => [...topics].filter((t) => t.includes(`/gloves_${DEVICE}/`)).sort();

test('startup clears every retained config under our node id that we do not own now; discovery off clears them all', async () => {
  const old = await record(broker.url, [`${BASE}/probe`]);
  const stale = {
    ghost: `homeassistant/sensor/gloves_${DEVICE}/ghost_last_seen/config`, // a pet of a wiped state directory
    renamed: `homeassistant/sensor/gloves_${DEVICE}/appy_old_key/config`, // an entity key that no longer exists
    trigger: `homeassistant/device_automation/gloves_${DEVICE}/ghost_arrived/config`,
  };
  const other = 'homeassistant/sensor/gloves_neighbour/ghost_last_seen/config';
  for (const t of [...Object.values(stale), other, `homeassistant/binary_sensor/gloves_${DEVICE}/appy_presence/config`])
    await old.client.publishAsync(t, '{"name":"old"}', { qos: 1, retain: true });
  await old.close();

  const ha = await record(broker.url, ['homeassistant/#']);
  const s = setup();
  s.bridge.setPets([appy], []);
  await s.bridge.start();
  await ha.until(
    () =>
      Object.values(stale).every((t) => ha.text(t).includes('')) &&
      ha.json(`homeassistant/image/gloves_${DEVICE}/appy_snapshot/config`).length > 0,
    10_000,
    'stale configs cleared and the pet announced',
  );
  await s.stop();
  await ha.close();
  const now = await retained('homeassistant/#');
  const announced = mine(
    ha.messages.filter((m) => m.payload.length > 0 && JSON.parse(m.payload.toString()).name !== 'old').map((m) => m.topic),
  );
  assert.equal(mine(now.keys()), [...new Set(announced)].sort(), 'exactly what Gloves announces stays');
  for (const t of Object.values(stale)) assert.not.ok(now.has(t), t);
  assert.ok(now.has(other), "another device's configs are not ours to clear");
  assert.not.ok(now.get(`homeassistant/binary_sensor/gloves_${DEVICE}/appy_presence/config`)!.includes('"old"'));
  for (const [t, p] of now) if (t.includes(`/gloves_${DEVICE}/`)) assert.equal(checkConfig(t, JSON.parse(p)), [], t);

  // Discovery turned off: nothing of ours may stay behind.
  const off = setup({ discovery: false });
  off.bridge.setPets([appy], []);
  await off.bridge.start();
  await eventually(async () => mine((await retained('homeassistant/#')).keys()).length === 0, 10_000, 'all our configs cleared');
  await off.stop();
  const after = await retained('homeassistant/#');
  assert.equal(mine(after.keys()), []);
  assert.ok(after.has(other));
});

async function eventually(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('homeassistant/status online re-announces the hub and every pet; offline does not', async () => {
  const ha = await record(broker.url, [`homeassistant/+/gloves_${DEVICE}/+/config`]);
  const s = setup();
  s.bridge.setPets([appy], []);
  await s.bridge.start();
  const presence = `homeassistant/binary_sensor/gloves_${DEVICE}/appy_presence/config`;
  const hub = `homeassistant/binary_sensor/gloves_${DEVICE}/_hub_connectivity/config`;
  await ha.until(() => ha.text(presence).length > 0 && ha.text(hub).length > 0, 10_000, 'first announcement');
  await new Promise((r) => setTimeout(r, 300));
  const n = ha.messages.length;
  const perRound = new Set(ha.messages.map((m) => m.topic)).size;
  await ha.client.publishAsync('homeassistant/status', 'offline', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  assert.is(ha.messages.length, n, 'offline: nothing announced');
  await ha.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
  await ha.until(() => ha.messages.length >= n + perRound, 10_000, 're-announcement');
  const again = new Set(ha.messages.slice(n).map((m) => m.topic));
  assert.ok(again.has(presence) && again.has(hub));
  assert.is(again.size, perRound, 'every config again');
  await s.stop();
  await ha.close();
});

/** A frame of `w` x `h` filled with one colour (the crop's JPEG then differs per colour). */
function frame(rgb: [number, number, number], w = 160, h = 120): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width: w, height: h, data };
}

test('the snapshot of a sighting arrives before its seen, and the unknown animal snapshot before unknown_seen', async () => {
  const ha = await record(broker.url, [`${BASE}/#`]);
  const s = setup();
  s.bridge.setPets([appy], []);
  await s.bridge.start();
  const presence = new Presence({ awayAfterMs: 200, unknownCooldownMs: 0 });
  presence.restore([appy], {}, 0);
  const store = new SnapshotStore(join(s.dir, 'snap'));
  const outputs = new Outputs(
    { presence, bridge: s.bridge, store: new PetStateStore(s.dir, silentLogger()), snapshots: store, leftovers: {} },
    { stateRefreshMs: 1000, snapshotIntervalMs: 1000 },
    silentLogger(),
  );
  const visit = async (colour: [number, number, number], t0: number): Promise<void> => {
    const ts = new Date().toISOString();
    const img = frame(colour);
    const up = presence.observe(
      t0,
      ts,
      [{ pet: appy, confidence: 0.9, box: [10, 10, 100, 100], track: t0 }],
      [{ confidence: 0.95, box: [20, 20, 90, 90], track: t0 + 1, visitor: 'visitor-1' }],
      'porch',
    );
    outputs.apply(up, t0, img);
    outputs.snapshots(img, [{ pet: appy, confidence: 0.9, box: [10, 10, 100, 100], track: t0 }], t0);
  };
  const seenIds = (): PetEvent[] => ha.json<PetEvent>(`${BASE}/events`);
  await visit([200, 30, 30], 1000);
  await ha.until(
    () => seenIds().filter((e) => e.type === 'seen').length === 1 && seenIds().some((e) => e.type === 'unknown_seen'),
    10_000,
    'first visit',
  );
  outputs.apply(presence.tick(5000, new Date().toISOString()), 5000);
  await visit([30, 30, 200], 6000);
  await ha.until(() => seenIds().filter((e) => e.type === 'seen').length === 2, 10_000, 'second visit');
  await ha.until(() => seenIds().filter((e) => e.type === 'unknown_seen').length === 2, 10_000, 'second unknown');

  const topicsInOrder = ha.messages.map((m) =>
    m.topic === `${BASE}/events` ? `event:${(JSON.parse(m.payload.toString()) as PetEvent).type}` : m.topic,
  );
  for (const [snap, ev] of [
    [`${BASE}/pets/appy/snapshot`, 'event:seen'],
    [`${BASE}/unknown/snapshot`, 'event:unknown_seen'],
  ] as const) {
    // Each event is preceded by a snapshot published after the previous event of its kind.
    let last = -1;
    topicsInOrder.forEach((t, i) => {
      if (t !== ev) return;
      const before = topicsInOrder.slice(last + 1, i);
      assert.ok(before.includes(snap), `${snap} before ${ev} #${i}: ${topicsInOrder.join(', ')}`);
      last = i;
    });
  }
  // The picture before the second seen is this visit's (blue), not the first one (red).
  const seenAt = topicsInOrder.lastIndexOf('event:seen');
  const snapBefore = ha.messages
    .slice(0, seenAt)
    .filter((m) => m.topic === `${BASE}/pets/appy/snapshot`)
    .at(-1)!;
  const firstSnap = ha.messages.find((m) => m.topic === `${BASE}/pets/appy/snapshot`)!;
  assert.ok(snapBefore.payload[0] === 0xff && snapBefore.payload[1] === 0xd8, 'JPEG');
  assert.not.equal(snapBefore.payload, firstSnap.payload, 'a new picture for the new visit');
  assert.equal(readFileSync(store.path('appy')), ha.last(`${BASE}/pets/appy/snapshot`)!.payload);
  assert.equal(store.readUnknown(), ha.last(`${BASE}/unknown/snapshot`)!.payload);
  await s.stop();
  const late = await retained(`${BASE}/unknown/snapshot`);
  assert.ok(late.has(`${BASE}/unknown/snapshot`), 'the unknown snapshot is retained');
  await ha.close();
});

test('replay after a broker outage: original ts, flagged replayed when too old, ignored by the event entity', async () => {
  const ha = await record(broker.url, [`${BASE}/events`, `homeassistant/event/gloves_${DEVICE}/+/config`], {
    clientId: 'ha-replay',
    clean: false,
  });
  const s = setup({ eventMaxAgeMs: 1000 });
  s.bridge.setPets([appy], []);
  await s.bridge.start();
  const cfgTopic = `homeassistant/event/gloves_${DEVICE}/appy_event/config`;
  await ha.until(() => ha.json(cfgTopic).length > 0, 10_000, 'event entity config');
  const entity = ha.json<{ value_template: string }>(cfgTopic).at(-1)!;
  const ev = (id: string, ts: string): PetEvent => ({
    id,
    type: 'seen',
    pet: 'Appy',
    pet_id: 'appy',
    camera: 'porch',
    ts,
    confidence: 0.9,
    box: [1, 2, 3, 4],
    track: 1,
  });
  await broker.stop();
  await new Promise((r) => setTimeout(r, 300));
  const during = ev('during', new Date().toISOString());
  s.bridge.enqueue(during);
  await new Promise((r) => setTimeout(r, 1500));
  await broker.restart();
  await ha.until(() => ha.eventIds(`${BASE}/events`).includes('during'), 20_000, 'the replay');
  const live = ev('live', new Date().toISOString());
  s.bridge.enqueue(live);
  await ha.until(() => ha.eventIds(`${BASE}/events`).includes('live'), 10_000, 'a live event');
  const got = new Map(ha.json<PetEvent>(`${BASE}/events`).map((e) => [e.id, e]));
  assert.is(got.get('during')!.ts, during.ts, 'the original time');
  assert.is(got.get('during')!.replayed, true);
  assert.is(got.get('live')!.replayed, false);
  const raw = (id: string): string => ha.text(`${BASE}/events`).find((t) => (JSON.parse(t) as PetEvent).id === id)!;
  assert.is(renderTemplate(entity.value_template, raw('during')).trim(), '', 'a replay does not fire the entity');
  assert.is(JSON.parse(renderTemplate(entity.value_template, raw('live'))).ts, live.ts);
  await s.stop();
  await ha.close();
});

test('cameras_online: online while a camera delivers frames, offline when all are lost', async () => {
  const ha = await record(broker.url, [`${BASE}/cameras_online`, `${BASE}/cameras/+/state`, `${BASE}/cameras/+/status`, 'homeassistant/#']);
  let state: CameraState = { state: 'online', since: new Date().toISOString(), error: null };
  const s = setup({ cameras: () => [{ id: 'porch', state }] });
  s.bridge.setPets([appy], []);
  await s.bridge.start();
  await ha.until(() => ha.text(`${BASE}/cameras_online`).at(-1) === 'online', 10_000, 'online at connect');
  state = { state: 'lost', since: new Date().toISOString(), error: 'gone' };
  s.bridge.publishCamera('porch', state);
  await ha.until(() => ha.text(`${BASE}/cameras_online`).at(-1) === 'offline', 10_000, 'offline when lost');
  assert.is(ha.json<CameraState>(`${BASE}/cameras/porch/state`).at(-1)!.state, 'lost');
  // The hub's camera entity reads the status topic: off now.
  const entity = ha.json<{ state_topic: string; payload_on: string; payload_off: string }>(
    `homeassistant/binary_sensor/gloves_${DEVICE}/_hub_camera_porch/config`,
  )[0]!;
  assert.is(ha.text(entity.state_topic).at(-1), entity.payload_off);
  state = { state: 'online', since: new Date().toISOString(), error: null };
  s.bridge.publishCamera('porch', state);
  await ha.until(() => ha.text(`${BASE}/cameras_online`).at(-1) === 'online', 10_000, 'online again');
  await ha.until(() => ha.text(entity.state_topic).at(-1) === entity.payload_on, 10_000, 'camera entity on again');
  await s.stop();
  await ha.close();
});

test.run();

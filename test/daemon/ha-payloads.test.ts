/**
 * Home Assistant discovery, pure: every config Gloves announces is checked
 * against the documented keys of its platform (./support/ha-schema.ts), and
 * every template is rendered with nunjucks (Jinja-compatible) against payloads
 * made by the daemon's own code (presence, events, camera health, stats).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { deliveredEvent } from '../../daemon/src/mqtt/bridge.js';
import { topicMatches } from '../../daemon/src/mqtt/connection.js';
import { announcePet, removePet, SUPPORT_URL, type DiscoveryContext } from '../../daemon/src/mqtt/discovery.js';
import { announceHub } from '../../daemon/src/mqtt/hub-discovery.js';
import { topics } from '../../daemon/src/mqtt/topics.js';
import { Presence } from '../../daemon/src/presence/presence.js';
import { awayState } from '../../daemon/src/presence/types.js';
import { toEvent } from '../../daemon/src/runtime/outputs.js';
import { StatsPublisher } from '../../daemon/src/runtime/stats-publisher.js';
import type { HubStats } from '../../daemon/src/mqtt/bridge.js';
import { checkConfig, renderTemplate } from './support/ha-schema.js';

const mia = { petId: 'mia', name: 'Mia' };
const whiskers = { petId: 'mr_whiskers', name: 'Mr. Whiskers' };
const ctx: DiscoveryContext = {
  baseTopic: 'gloves',
  deviceId: 'hall',
  discoveryPrefix: 'homeassistant',
  deviceName: 'Hall',
  swVersion: '1.2.3',
  cameras: [
    { id: 'porch', name: 'Porch' },
    { id: 'back_door', name: 'Back door' },
  ],
};

function all(c: DiscoveryContext = ctx): { topic: string; config: Record<string, any> }[] {
  return [...announceHub(c), ...announcePet(c, mia), ...announcePet(c, whiskers)].map((m) => ({
    topic: m.topic,
    config: JSON.parse(m.payload) as Record<string, any>,
  }));
}

const byTopic = (topic: string): Record<string, any> => {
  const m = all().find((x) => x.topic === topic);
  if (!m) throw new Error(`no config on ${topic}`);
  return m.config;
};

test('every discovery config holds only the documented keys of its platform, with the required ones', () => {
  const msgs = all();
  const problems = msgs.flatMap((m) => checkConfig(m.topic, m.config));
  assert.equal(problems, []);
  const platforms = new Set(msgs.map((m) => m.topic.split('/')[1]));
  assert.equal([...platforms].sort(), ['binary_sensor', 'device_automation', 'event', 'image', 'sensor']);
  // The table is not a rubber stamp: it refuses an unknown key, a missing one, a bad value.
  const presence = byTopic('homeassistant/binary_sensor/gloves_hall/mia_presence/config');
  assert.ok(checkConfig('homeassistant/binary_sensor/x/y/config', { ...presence, event_types: ['x'] }).length > 0);
  const { state_topic: _omit, ...noTopic } = presence;
  assert.ok(checkConfig('homeassistant/binary_sensor/x/y/config', noTopic).some((p) => p.includes('state_topic')));
  assert.ok(checkConfig('homeassistant/image/x/y/config', { unique_id: 'u', device: { identifiers: ['d'] } }).length > 0);
  assert.ok(checkConfig('homeassistant/device_automation/x/y/config', { ...presence }).length > 0);
});

test('entities: per pet and on the hub, ids unique, pets reached through the hub, origin and icons', () => {
  const msgs = all();
  assert.equal(
    announcePet(ctx, mia).map((m) => m.topic),
    [
      'homeassistant/binary_sensor/gloves_hall/mia_presence/config',
      'homeassistant/sensor/gloves_hall/mia_last_seen/config',
      'homeassistant/sensor/gloves_hall/mia_camera/config',
      'homeassistant/event/gloves_hall/mia_event/config',
      'homeassistant/image/gloves_hall/mia_snapshot/config',
      'homeassistant/device_automation/gloves_hall/mia_arrived/config',
      'homeassistant/device_automation/gloves_hall/mia_left/config',
    ],
  );
  assert.equal(
    announceHub(ctx).map((m) => m.topic),
    [
      'homeassistant/binary_sensor/gloves_hall/_hub_connectivity/config',
      'homeassistant/binary_sensor/gloves_hall/_hub_camera_porch/config',
      'homeassistant/binary_sensor/gloves_hall/_hub_camera_back_door/config',
      'homeassistant/sensor/gloves_hall/_hub_fps/config',
      'homeassistant/sensor/gloves_hall/_hub_outbox/config',
      'homeassistant/sensor/gloves_hall/_hub_model/config',
      'homeassistant/event/gloves_hall/_hub_unknown/config',
      'homeassistant/image/gloves_hall/_hub_unknown_snapshot/config',
      'homeassistant/device_automation/gloves_hall/_hub_unknown_seen/config',
    ],
  );
  const ids = msgs.filter((m) => m.config.unique_id).map((m) => m.config.unique_id as string);
  assert.is(new Set(ids).size, ids.length, 'unique ids');
  assert.is(new Set(msgs.map((m) => m.topic)).size, msgs.length, 'one topic per entity');
  const triggers = msgs.filter((m) => m.topic.includes('/device_automation/'));
  const typeSub = triggers.map((m) => `${JSON.stringify(m.config.device.identifiers)} ${m.config.type} ${m.config.subtype}`);
  assert.is(new Set(typeSub).size, typeSub.length, 'type+subtype unique per device');
  for (const m of msgs) {
    assert.equal(m.config.origin, { name: 'Gloves', sw_version: '1.2.3', support_url: SUPPORT_URL }, m.topic);
    const hub = m.topic.includes('/_hub_');
    if (hub) {
      assert.equal(m.config.device.identifiers, ['gloves_hall'], m.topic);
      assert.is(m.config.device.name, 'Hall');
      assert.is(m.config.device.via_device, undefined);
    } else {
      assert.is(m.config.device.via_device, 'gloves_hall', `${m.topic} reached through the hub`);
      assert.match(m.config.device.identifiers[0], /^gloves_hall_(mia|mr_whiskers)$/);
    }
  }
  // Pets: available while the daemon AND a camera are up.
  for (const m of msgs.filter((x) => !x.topic.includes('/_hub_') && !x.topic.includes('/device_automation/'))) {
    assert.is(m.config.availability_mode, 'all', m.topic);
    assert.equal(
      m.config.availability.map((a: { topic: string }) => a.topic),
      ['gloves/hall/status', 'gloves/hall/cameras_online'],
    );
  }
  const connectivity = byTopic('homeassistant/binary_sensor/gloves_hall/_hub_connectivity/config');
  assert.is(connectivity.availability, undefined, 'connectivity shows offline, not unavailable');
  assert.is(connectivity.state_topic, 'gloves/hall/status');
  assert.is(byTopic('homeassistant/sensor/gloves_hall/mia_camera/config').entity_category, 'diagnostic');
  for (const d of ['fps', 'outbox', 'model'])
    assert.is(byTopic(`homeassistant/sensor/gloves_hall/_hub_${d}/config`).entity_category, 'diagnostic');
  const image = byTopic('homeassistant/image/gloves_hall/mia_snapshot/config');
  assert.is(image.image_topic, 'gloves/hall/pets/mia/snapshot');
  assert.is(image.content_type, 'image/jpeg');
  assert.is(byTopic('homeassistant/image/gloves_hall/_hub_unknown_snapshot/config').image_topic, 'gloves/hall/unknown/snapshot');
  assert.is(image.icon, 'mdi:cat');
  assert.is(byTopic('homeassistant/event/gloves_hall/_hub_unknown/config').icon, 'mdi:paw');
  // Removal: empty configs on exactly the pet's topics; the hub stays.
  assert.equal(
    removePet(ctx, 'mia').map((m) => [m.topic, m.payload]),
    announcePet(ctx, mia).map((m) => [m.topic, '']),
  );
  const withUrl = JSON.parse(announcePet({ ...ctx, configurationUrl: 'http://x:1/' }, mia)[0]!.payload);
  assert.is(withUrl.device.configuration_url, 'http://x:1/');
});

test('presence device class: occupancy by default, presence when configured, anything else refused', () => {
  assert.is(loadConfig({}).mqtt.homeAssistant.presenceDeviceClass, 'occupancy');
  assert.is(loadConfig({}).mqtt.homeAssistant.eventMaxAgeSeconds, 120);
  assert.is(byTopic('homeassistant/binary_sensor/gloves_hall/mia_presence/config').device_class, 'occupancy');
  const c = loadConfig({ overrides: { 'mqtt.homeAssistant.presenceDeviceClass': 'presence' } });
  assert.is(c.mqtt.homeAssistant.presenceDeviceClass, 'presence');
  const p = JSON.parse(announcePet({ ...ctx, presenceDeviceClass: 'presence' }, mia)[0]!.payload);
  assert.is(p.device_class, 'presence');
  try {
    loadConfig({ overrides: { 'mqtt.homeAssistant.presenceDeviceClass': 'home' } });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, GlovesError);
    assert.match((err as Error).message, /mqtt\.homeAssistant\.presenceDeviceClass: /);
  }
});

/** Real payloads: events as presence and outputs make them, delivered now or replayed. */
function sightingEvents() {
  const p = new Presence({ awayAfterMs: 1000, unknownCooldownMs: 0 });
  p.restore([mia, whiskers], {}, 0);
  const ts = new Date().toISOString();
  const seen = p.observe(
    10,
    ts,
    [{ pet: mia, confidence: 0.93, box: [1, 2, 30, 40], track: 4 }],
    [{ confidence: 0.97, box: [5, 5, 50, 50], track: 5, visitor: 'visitor-3', newVisitor: true }],
    'porch',
  );
  const left = p.tick(5000, ts);
  const events = [...seen.events, ...left.events].map((e) => toEvent(e));
  return { events, states: { ...seen.states }, leftStates: { ...left.states } };
}

test('templates: event entities and device triggers take their own live events only, with ts, pet, camera and visitor', () => {
  const { events } = sightingEvents();
  const find = (type: string) => events.find((e) => e.type === type)!;
  const seen = JSON.stringify(deliveredEvent(find('seen'), Date.now(), 120_000));
  const left = JSON.stringify(deliveredEvent(find('left'), Date.now(), 120_000));
  const unknown = JSON.stringify(deliveredEvent(find('unknown_seen'), Date.now(), 120_000));
  const fresh = JSON.stringify(deliveredEvent(find('new_visitor'), Date.now(), 120_000));
  const old = { ...find('seen'), ts: new Date(Date.now() - 121_000).toISOString() };
  const replayed = JSON.stringify(deliveredEvent(old, Date.now(), 120_000));
  assert.is(JSON.parse(replayed).replayed, true);

  const ev = byTopic('homeassistant/event/gloves_hall/mia_event/config');
  const out = JSON.parse(renderTemplate(ev.value_template, seen)) as Record<string, unknown>;
  assert.equal(out, {
    event_type: 'seen',
    id: find('seen').id,
    ts: find('seen').ts,
    pet: 'Mia',
    camera: 'porch',
    confidence: 0.93,
    track: 4,
  });
  assert.ok(ev.event_types.includes(out.event_type));
  assert.is(JSON.parse(renderTemplate(ev.value_template, left)).event_type, 'left');
  assert.is(renderTemplate(ev.value_template, replayed).trim(), '', 'a replay does not fire the event entity');
  assert.is(renderTemplate(ev.value_template, unknown).trim(), '');
  const other = byTopic('homeassistant/event/gloves_hall/mr_whiskers_event/config');
  assert.is(renderTemplate(other.value_template, seen).trim(), '', "another pet's event");

  const hub = byTopic('homeassistant/event/gloves_hall/_hub_unknown/config');
  const u = JSON.parse(renderTemplate(hub.value_template, unknown)) as Record<string, unknown>;
  assert.equal(u, {
    event_type: 'unknown_seen',
    id: find('unknown_seen').id,
    ts: find('unknown_seen').ts,
    camera: 'porch',
    visitor: 'visitor-3',
    confidence: 0.97,
    track: 5,
  });
  const n = JSON.parse(renderTemplate(hub.value_template, fresh)) as Record<string, unknown>;
  assert.is(n.event_type, 'new_visitor');
  assert.is(n.visitor, 'visitor-3');
  assert.ok(hub.event_types.includes('unknown_seen') && hub.event_types.includes('new_visitor'));
  const noVisitor = JSON.stringify({ ...deliveredEvent(find('unknown_seen'), Date.now(), 120_000), visitor: undefined });
  assert.is(JSON.parse(renderTemplate(hub.value_template, noVisitor)).visitor, null, 'visitors off: null, not a template error');
  assert.is(renderTemplate(hub.value_template, seen).trim(), '');

  // Device triggers fire when the rendered value equals their payload.
  const fires = (topic: string, payload: string): boolean => {
    const c = byTopic(topic);
    return renderTemplate(c.value_template, payload) === c.payload;
  };
  const arrived = 'homeassistant/device_automation/gloves_hall/mia_arrived/config';
  const leftT = 'homeassistant/device_automation/gloves_hall/mia_left/config';
  const unknownT = 'homeassistant/device_automation/gloves_hall/_hub_unknown_seen/config';
  assert.ok(fires(arrived, seen));
  assert.not.ok(fires(arrived, left));
  assert.not.ok(fires(arrived, replayed));
  assert.not.ok(fires('homeassistant/device_automation/gloves_hall/mr_whiskers_arrived/config', seen));
  assert.ok(fires(leftT, left));
  assert.not.ok(fires(leftT, seen));
  assert.ok(fires(unknownT, unknown));
  assert.not.ok(fires(unknownT, fresh));
  assert.not.ok(fires(unknownT, seen));
  for (const t of [arrived, leftT, unknownT]) assert.is(byTopic(t).topic, 'gloves/hall/events');
});

test('templates: presence, last seen, last camera, camera connectivity and stats on real payloads', () => {
  const { states, leftStates } = sightingEvents();
  const present = JSON.stringify(states.mia);
  const away = JSON.stringify(leftStates.mia);
  const never = JSON.stringify(awayState());
  const presence = byTopic('homeassistant/binary_sensor/gloves_hall/mia_presence/config');
  assert.is(renderTemplate(presence.value_template, present), presence.payload_on);
  assert.is(renderTemplate(presence.value_template, away), presence.payload_off);
  assert.is(renderTemplate(presence.value_template, never), presence.payload_off);
  const lastSeen = byTopic('homeassistant/sensor/gloves_hall/mia_last_seen/config');
  assert.is(renderTemplate(lastSeen.value_template, present), states.mia!.last_seen);
  assert.ok(!Number.isNaN(Date.parse(renderTemplate(lastSeen.value_template, away))));
  assert.is(renderTemplate(lastSeen.value_template, never), 'None', 'HA: unknown');
  const camera = byTopic('homeassistant/sensor/gloves_hall/mia_camera/config');
  assert.is(renderTemplate(camera.value_template, present), 'porch');
  assert.is(renderTemplate(camera.value_template, never), 'None');

  // A camera's own status topic (online/offline) is its state; its JSON state gives the attributes.
  const cam = byTopic('homeassistant/binary_sensor/gloves_hall/_hub_camera_back_door/config');
  assert.equal([cam.state_topic, cam.payload_on, cam.payload_off], ['gloves/hall/cameras/back_door/status', 'online', 'offline']);
  assert.is(cam.json_attributes_topic, 'gloves/hall/cameras/back_door/state');
  assert.is(cam.name, 'Camera Back door');
  const conn = byTopic('homeassistant/binary_sensor/gloves_hall/_hub_connectivity/config');
  assert.equal([conn.payload_on, conn.payload_off], ['online', 'offline']);

  const samples: HubStats[] = [];
  let depth = 3;
  const stats = new StatsPublisher({ publish: (s) => samples.push(s), outbox: () => depth, model: () => 'yolox + mnv2@abc' }, 1000);
  stats.tick(0, { porch: 0, back_door: 0 }, 't0');
  stats.tick(500, { porch: 10, back_door: 5 }, 't1');
  depth = 0;
  stats.tick(2000, { porch: 30, back_door: 10 }, 't2');
  assert.equal(samples, [
    { fps: null, cameras: { porch: null, back_door: null }, outbox: 3, model: 'yolox + mnv2@abc', ts: 't0' },
    { fps: 20, cameras: { porch: 15, back_door: 5 }, outbox: 0, model: 'yolox + mnv2@abc', ts: 't2' },
  ]);
  const fpsEntity = byTopic('homeassistant/sensor/gloves_hall/_hub_fps/config');
  assert.equal(JSON.parse(renderTemplate(fpsEntity.json_attributes_template, JSON.stringify(samples[1]))), { porch: 15, back_door: 5 });
  const t = (e: string) => byTopic(`homeassistant/sensor/gloves_hall/_hub_${e}/config`).value_template as string;
  assert.is(renderTemplate(t('fps'), JSON.stringify(samples[0])), 'None');
  assert.is(renderTemplate(t('fps'), JSON.stringify(samples[1])), '20');
  assert.is(renderTemplate(t('fps'), JSON.stringify({ ...samples[1], fps: 0 })), '0');
  assert.is(renderTemplate(t('outbox'), JSON.stringify(samples[1])), '0');
  assert.is(renderTemplate(t('model'), JSON.stringify(samples[1])), 'yolox + mnv2@abc');
  for (const e of ['fps', 'outbox', 'model'])
    assert.is(byTopic(`homeassistant/sensor/gloves_hall/_hub_${e}/config`).state_topic, 'gloves/hall/stats');
});

test('replay flag: only events older than the maximum age, set on a copy', () => {
  const e = toEvent({
    type: 'seen',
    pet: mia,
    confidence: 0.9,
    box: [0, 0, 1, 1],
    track: 1,
    camera: 'porch',
    ts: '2026-01-01T00:00:00.000Z',
  });
  const t = Date.parse(e.ts);
  assert.equal(deliveredEvent(e, t + 120_000, 120_000), { ...e, replayed: false });
  assert.equal(deliveredEvent(e, t + 120_001, 120_000), { ...e, replayed: true });
  assert.is(e.replayed, undefined);
});

test('topic filters: + matches one level, # the rest', () => {
  const f = topics.discoveryFilter(ctx);
  assert.is(f, 'homeassistant/+/gloves_hall/+/config');
  assert.ok(topicMatches(f, 'homeassistant/sensor/gloves_hall/mia_camera/config'));
  assert.not.ok(topicMatches(f, 'homeassistant/sensor/gloves_hallway/mia_camera/config'));
  assert.not.ok(topicMatches(f, 'homeassistant/sensor/gloves_hall/mia_camera/config/x'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(topicMatches('a/b', 'a/b'));
  assert.not.ok(topicMatches('a/b', 'a/b/c'));
});

test.run();

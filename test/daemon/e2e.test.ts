/**
 * End to end with only real parts: a private Mosquitto, the real models, a
 * gallery enrolled with `gloves enroll`, and `gloves run` on a slideshow built
 * from OTHER photos of the enrolled cats, a cat that is not enrolled and a
 * photo without animals. A client subscribed like Home Assistant checks the
 * events, retained states, snapshots, discovery, and the last will.
 *
 * Photos were chosen after checking them (letterboxed to 640x480): each shows
 * one cat the detector finds with score >= 0.84; the enrolled cats' slides are
 * named right with confidence >= 0.98 and the stranger's are unknown with
 * confidence 1.00 (raw embedding cosine stranger-vs-Roxy slide: 0.58-0.66, below
 * the 0.8 appearance gate, so the stranger starts a fresh track).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catsDir, fixtures, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { record, type Recorder } from './support/subscriber.js';
import { buildSlideshow, cli, startDaemon } from './support/daemon.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { checkConfig, renderTemplate } from './support/ha-schema.js';

const cat = (name: string, n: string): string => join(catsDir, name, `${n}.jpg`);
const DEVICE = 'e2e';
const BASE = `gloves/${DEVICE}`;

let broker: Broker;
let gallery: string;
let slides: string;
let ids: { a: string; b: string };

function config(dir: string, extra = ''): string {
  const file = join(dir, 'gloves.yaml');
  writeFileSync(
    file,
    `device:
  id: ${DEVICE}
  name: E2E
  stateDir: ${join(dir, 'state')}
camera:
  uri: file://${slides}
  name: hallway
  width: 640
  height: 480
  slideshowFps: 2
gallery:
  dir: ${gallery}
mqtt:
  url: ${broker.url}
  username: gloves
  password: secret
  reconnectSeconds: 0.5
tracking:
  minVotes: 2
  awayAfterSeconds: 2
  stateRefreshSeconds: 1
  snapshotIntervalSeconds: 0.5
inference:
  threads: 1
${extra}`,
  );
  return file;
}

async function ha(clientId: string): Promise<Recorder> {
  // A persistent session (clean: false) keeps QoS 1 events queued across a broker restart.
  return record(broker.url, [`${BASE}/#`, 'homeassistant/#'], { username: 'ha', password: 'ha', clientId, clean: false });
}

function events(r: Recorder): PetEvent[] {
  const seen = new Set<string>();
  return r.json<PetEvent>(`${BASE}/events`).filter((e) => !seen.has(e.id) && seen.add(e.id));
}

/** `newVisitor`: the stranger is new to this gallery (the first run), so its id must appear with new_visitor. */
function checkSequence(evs: PetEvent[], newVisitor = true): void {
  const desc = evs.map((e) => `${e.type}:${e.pet_id ?? '-'}`);
  const idx = (d: string): number => desc.indexOf(d);
  const aSeen = idx(`seen:${ids.a}`);
  const aLeft = idx(`left:${ids.a}`);
  const bSeen = idx(`seen:${ids.b}`);
  const unknown = idx('unknown_seen:-');
  assert.ok(
    aSeen >= 0 && aLeft > aSeen && bSeen > aLeft && unknown > bSeen,
    `sequence A seen, A left, B seen, unknown_seen; got ${desc.join(', ')}`,
  );
  assert.equal(
    desc.filter((d) => d.startsWith('seen:')),
    [`seen:${ids.a}`, `seen:${ids.b}`],
    'no seen for the stranger or anyone else',
  );
  assert.is(desc.filter((d) => d === 'unknown_seen:-').length, 1);
  assert.ok(
    desc.every((d) => [`seen:${ids.a}`, `left:${ids.a}`, `seen:${ids.b}`, `left:${ids.b}`, 'unknown_seen:-', 'new_visitor:-'].includes(d)),
    desc.join(', '),
  );
  // The stranger is a visitor: unknown_seen names it, and its id appeared with new_visitor.
  const unknownSeen = evs.find((e) => e.type === 'unknown_seen')!;
  assert.match(unknownSeen.visitor ?? '', /^visitor-\d+$/);
  const fresh = evs.filter((e) => e.type === 'new_visitor');
  assert.ok(
    fresh.length >= (newVisitor ? 1 : 0) && fresh.every((e) => /^visitor-\d+$/.test(e.visitor ?? '') && e.pet_id === null),
    JSON.stringify(fresh),
  );
  assert.ok(!newVisitor || fresh.some((e) => e.visitor === unknownSeen.visitor), 'new_visitor for the visitor of unknown_seen');
  assert.is(new Set(fresh.map((e) => e.visitor)).size, fresh.length, 'one new_visitor per id');
  for (const e of evs) {
    assert.is(e.camera, 'hallway');
    assert.ok(!Number.isNaN(Date.parse(e.ts)) && e.ts.endsWith('Z'), e.ts);
    if (e.type === 'new_visitor') continue;
    assert.ok(e.confidence >= 0.5 && e.confidence <= 1, `confidence ${e.confidence}`);
    assert.is(e.box.length, 4);
    assert.ok(e.box[2] > e.box[0] && e.box[3] > e.box[1], JSON.stringify(e.box));
    assert.type(e.track, 'number');
    assert.is(e.pet, e.pet_id === ids.a ? 'Koshka' : e.pet_id === ids.b ? 'Roxy' : null);
  }
  assert.is(new Set(evs.map((e) => e.id)).size, evs.length);
}

// uvu reports nothing when a before-hook throws: print the reason.
test.before(() =>
  setup().catch((err: unknown) => {
    console.error('setup failed:', err);
    throw err;
  }),
);

async function setup(): Promise<void> {
  requireFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'gloves-e2e-'));
  broker = await startMosquitto({ users: { gloves: 'secret', ha: 'ha' }, persistence: true });
  gallery = join(dir, 'gallery');
  // Enrolment photos (spread over each folder) never appear in the slideshow.
  const a = cli(['enroll', '--gallery', gallery, '--name', 'Koshka', '--json', ...['01', '04', '08', '11'].map((n) => cat('koshka', n))]);
  const b = cli(['enroll', '--gallery', gallery, '--name', 'Roxy', '--json', ...['01', '05', '09', '13'].map((n) => cat('roxy', n))]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  ids = { a: (JSON.parse(a.stdout) as { pet: { id: string } }).pet.id, b: (JSON.parse(b.stdout) as { pet: { id: string } }).pet.id };
  slides = join(dir, 'slides');
  await buildSlideshow(slides, [
    { image: cat('koshka', '06'), copies: 6 },
    { image: cat('koshka', '12'), copies: 6 },
    { image: 'blank', copies: 8 },
    { image: cat('roxy', '11'), copies: 6 },
    { image: cat('roxy', '16'), copies: 6 },
    { image: cat('leo', '10'), copies: 6 },
    { image: cat('leo', '16'), copies: 6 },
    { image: join(fixtures, 'negatives', 'hpc203_bus.jpg'), copies: 6 },
  ]);
}

test.after(async () => {
  await broker?.stop();
});

/**
 * What Home Assistant gets from a real run: every discovery config within its platform's documented keys, the
 * templates rendered on the events as delivered, each sighting's snapshot before its event, the box's stats.
 */
function checkHomeAssistant(sub: Recorder, evs: PetEvent[]): void {
  const configs = new Map<string, Record<string, any>>();
  for (const m of sub.messages)
    if (m.topic.startsWith(`homeassistant/`) && m.topic.endsWith('/config') && m.payload.length > 0)
      configs.set(m.topic, JSON.parse(m.payload.toString()) as Record<string, any>);
  assert.equal(
    [...configs].flatMap(([t, c]) => checkConfig(t, c)),
    [],
  );
  const hub = `homeassistant/binary_sensor/gloves_${DEVICE}/_hub_camera_hallway/config`;
  assert.ok(configs.has(hub), `${hub}: one status entity per camera`);
  for (const e of evs.filter((x) => x.type === 'seen' || x.type === 'unknown_seen')) {
    const raw = sub.text(`${BASE}/events`).find((t) => (JSON.parse(t) as PetEvent).id === e.id)!;
    const entity = e.type === 'seen' ? `${e.pet_id}_event` : '_hub_unknown';
    const out = JSON.parse(renderTemplate(configs.get(`homeassistant/event/gloves_${DEVICE}/${entity}/config`)!.value_template, raw));
    assert.equal([out.event_type, out.ts, out.camera], [e.type, e.ts, 'hallway'], entity);
    if (e.type === 'unknown_seen') assert.is(out.visitor, e.visitor);
    // The snapshot of this sighting was delivered before the event.
    const at = sub.messages.findIndex((m) => m.topic === `${BASE}/events` && m.payload.toString() === raw);
    const snap = e.type === 'seen' ? `${BASE}/pets/${e.pet_id}/snapshot` : `${BASE}/unknown/snapshot`;
    assert.ok(
      sub.messages.slice(0, at).some((m) => m.topic === snap && m.payload[0] === 0xff),
      `${snap} before ${e.type}`,
    );
  }
  const stats = sub
    .json<{ fps: number | null; cameras: Record<string, number | null>; outbox: number; model: string }>(`${BASE}/stats`)
    .at(-1);
  assert.ok(stats && stats.fps !== null && stats.fps > 0 && stats.outbox >= 0, JSON.stringify(stats));
  assert.equal(Object.keys(stats!.cameras), ['hallway']);
  assert.match(stats!.model, /yolox.* \+ .*@[0-9a-f]{12}$/);
}

test('gloves run: events, retained states, snapshots, discovery, and offline on SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-e2e-run-'));
  const sub = await ha('ha-e2e-1');
  const d = startDaemon(['--config', config(dir)]);
  try {
    await d.waitForLine(/INFO gloves: ready/, 120_000);
    await d.waitForLine(/camera source ended/, 180_000);
    await sub.until(() => events(sub).some((e) => e.type === 'left' && e.pet_id === ids.b), 20_000, 'B left');
    const evs = events(sub);
    console.log('events:', evs.map((e) => `${e.type}:${e.pet ?? '-'}(${e.confidence})`).join(', '));
    checkSequence(evs);

    // Discovery: 4 entities per enrolled pet, retained, announced before the first event.
    const firstEvent = sub.messages.findIndex((m) => m.topic === `${BASE}/events`);
    for (const id of [ids.a, ids.b]) {
      for (const [comp, ent] of [
        ['binary_sensor', 'presence'],
        ['sensor', 'last_seen'],
        ['sensor', 'camera'],
        ['event', 'event'],
      ] as const) {
        const topic = `homeassistant/${comp}/gloves_${DEVICE}/${id}_${ent}/config`;
        const i = sub.messages.findIndex((m) => m.topic === topic);
        assert.ok(i >= 0 && i < firstEvent, `${topic} announced at startup`);
        const c = JSON.parse(sub.messages[i]!.payload.toString()) as Record<string, any>;
        assert.is(c.unique_id, `gloves_${DEVICE}_${id}_${ent}`);
        assert.is(c.device.name, id === ids.a ? 'Koshka' : 'Roxy');
        assert.is(c.availability[0].topic, `${BASE}/status`);
        assert.is(c.origin.name, 'Gloves');
        if (comp === 'event') assert.equal(c.event_types, ['seen', 'left']);
        if (comp === 'binary_sensor') assert.is(c.device_class, 'occupancy');
        if (ent === 'last_seen') assert.is(c.device_class, 'timestamp');
      }
    }
    checkHomeAssistant(sub, evs);
    // Retained states and snapshots, as a late subscriber (HA after a restart) sees them.
    const late = await record(broker.url, [`${BASE}/#`], { username: 'ha', password: 'ha' });
    await late.until(
      () =>
        [ids.a, ids.b].every((id) => late.last(`${BASE}/pets/${id}/state`) && late.last(`${BASE}/pets/${id}/snapshot`)) &&
        !!late.last(`${BASE}/status`),
      10_000,
      'retained',
    );
    for (const id of [ids.a, ids.b]) {
      const st = late.last(`${BASE}/pets/${id}/state`)!;
      assert.ok(st.retain);
      const s = JSON.parse(st.payload.toString()) as { state: string; last_seen: string; camera: string; confidence: number };
      assert.is(s.state, 'away');
      assert.is(s.camera, 'hallway');
      assert.ok(!Number.isNaN(Date.parse(s.last_seen)));
      assert.ok(s.confidence >= 0.5);
      const snap = late.last(`${BASE}/pets/${id}/snapshot`)!;
      assert.ok(snap.retain && snap.payload[0] === 0xff && snap.payload[1] === 0xd8, 'JPEG snapshot');
    }
    assert.is(late.text(`${BASE}/status`).at(-1), 'online');
    assert.ok(
      late.messages.every((m) => m.topic !== `${BASE}/events`),
      'events are never retained',
    );
    await late.close();

    const n = sub.messages.length;
    d.child.kill('SIGKILL');
    await d.exited();
    await sub.until(
      () => sub.messages.slice(n).some((m) => m.topic === `${BASE}/status` && m.payload.toString() === 'offline'),
      15_000,
      'last will offline',
    );

    // Restart: the retained states come back from disk even if the broker lost them.
    for (const id of [ids.a, ids.b]) await sub.client.publishAsync(`${BASE}/pets/${id}/state`, '', { qos: 1, retain: true });
    const m = sub.messages.length;
    const again = startDaemon(['--config', config(dir)]);
    try {
      await sub.until(
        () =>
          [ids.a, ids.b].every((id) => sub.messages.slice(m).some((x) => x.topic === `${BASE}/pets/${id}/state` && x.payload.length > 0)),
        120_000,
        'states restored after restart',
      );
      const restored = JSON.parse(
        sub.messages
          .slice(m)
          .find((x) => x.topic === `${BASE}/pets/${ids.a}/state` && x.payload.length > 0)!
          .payload.toString(),
      );
      assert.is(restored.state, 'away');
      assert.is(restored.camera, 'hallway');
      assert.ok(restored.last_seen);
      const k = sub.messages.length;
      again.child.kill('SIGTERM');
      const ex = await again.exited();
      assert.is(ex.code, 0, again.output().slice(-3000));
      assert.ok(
        sub.messages.slice(k).some((x) => x.topic === `${BASE}/status` && x.payload.toString() === 'offline'),
        'offline on clean stop',
      );
      assert.equal(events(sub).length, evs.length, 'a restart creates no new events and no redelivery under new ids');
    } finally {
      again.child.kill('SIGKILL');
    }
  } finally {
    d.child.kill('SIGKILL');
    await sub.close();
  }
});

test('broker stopped mid-run and restarted: no event lost or duplicated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-e2e-outage-'));
  const sub = await ha('ha-e2e-2');
  const d = startDaemon(['--config', config(dir)]);
  try {
    await sub.until(() => events(sub).some((e) => e.type === 'seen' && e.pet_id === ids.a), 180_000, 'A seen');
    // Down while A leaves and B arrives.
    await broker.stop();
    await d.waitForLine(new RegExp(`event seen .*"pet":"Roxy"`), 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    await broker.restart();
    await d.waitForLine(/camera source ended/, 180_000);
    await sub.until(() => events(sub).some((e) => e.type === 'left' && e.pet_id === ids.b), 30_000, 'B left');
    console.log(
      'events:',
      events(sub)
        .map((e) => `${e.type}:${e.pet ?? '-'}`)
        .join(', '),
      `(${sub.text(`${BASE}/events`).length} deliveries)`,
    );
    // The gallery's visitors were learnt in the first test: the stranger may come back as a known visitor.
    checkSequence(events(sub), false);
    // Redeliveries (QoS 1) must carry identical payloads: same id, same event.
    const byId = new Map<string, string>();
    for (const t of sub.text(`${BASE}/events`)) {
      const id = (JSON.parse(t) as PetEvent).id;
      assert.ok(!byId.has(id) || byId.get(id) === t, 'a redelivery is byte-identical');
      byId.set(id, t);
    }
    assert.match(d.output(), /broker connection lost/);
  } finally {
    d.child.kill('SIGTERM');
    await d.exited();
    await sub.close();
  }
});

test.run();

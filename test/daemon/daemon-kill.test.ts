/**
 * Issue 11 faults: the broker is SIGKILLed, then the daemon is SIGKILLed while its events wait in
 * the outbox; the broker and a new daemon come back. Home Assistant (a persistent session) must
 * get every event the first daemon made, under its original id, each id once (redeliveries are
 * byte-identical), no event made again under a new id, and the pet's retained state must be the
 * one the first daemon had (restored from disk), not "away since never". And the broker alone
 * SIGKILLed and restarted while the daemon runs: every event delivered once by id, and the retained
 * status and states the killed broker lost are published again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PetEvent } from '../../daemon/src/events/types.js';
import type { PetState } from '../../daemon/src/presence/types.js';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { startDaemon, type RunningDaemon } from './support/daemon.js';
import { record } from './support/subscriber.js';

requireFixtures();
const ID = 'killed';
const BASE = `gloves/${ID}`;
let dir: string;
let gallery: string;
let broker: Broker;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gloves-daemonkill-'));
  gallery = join(dir, 'gallery');
  broker = await startMosquitto({ persistence: true });
  await enrolClipCat(gallery, dir);
});
test.after(async () => {
  await broker?.stop();
});

function run(camera: string, id = ID, reconnectSeconds = 0.3): RunningDaemon {
  const file = join(dir, `${id}-${camera.slice(0, 4)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      camera: { uri: camera },
      device: { id, stateDir: join(dir, `state-${id}`) },
      gallery: { dir: gallery },
      mqtt: { url: broker.url, reconnectSeconds },
      tracking: { awayAfterSeconds: 2, stateRefreshSeconds: 1 },
    }),
  );
  return startDaemon(['--config', file]);
}

/** The ids of the events a daemon made (its `event <type>` log line names each one once). */
const madeIds = (d: RunningDaemon): string[] => [...d.output().matchAll(/INFO gloves:mqtt: event \w+ \{"id":"([^"]+)"/g)].map((m) => m[1]!);

test('broker SIGKILLed, then the daemon SIGKILLed with events in its outbox: after both restart no event is lost, none duplicated, the state is restored', async () => {
  const ha = await record(broker.url, [`${BASE}/#`], { clientId: 'ha-kill', clean: false });
  const first = run(`file://${catClip}`);
  let second: RunningDaemon | null = null;
  try {
    await first.waitForLine(/INFO gloves: ready/, 60_000);
    await broker.kill();
    await first.waitForLine(/INFO gloves:mqtt: event seen .*"pet":"Chair cat"/, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGKILL');
    await first.exited();
    const made1 = madeIds(first);
    assert.ok(made1.length >= 1, first.output().slice(-3000));
    assert.equal(ha.eventIds(`${BASE}/events`), [], 'nothing was delivered while the broker was dead');
    const seenAt = Date.now();

    await broker.restart();
    const since = ha.messages.length;
    // Home Assistant is back first (the killed broker may have lost its session: it resubscribes).
    await ha.until(() => ha.client.connected, 10_000, 'Home Assistant reconnected');
    await new Promise((r) => setTimeout(r, 300));
    // No animal for the second daemon: the restored "present" pet leaves after 2 s, a new event.
    second = run('test://smpte');
    await second.waitForLine(/INFO gloves:mqtt: event left/, 60_000);
    const made = new Set([...made1, ...madeIds(second)]);
    await ha.until(() => made1.every((id) => ha.eventIds(`${BASE}/events`).includes(id)), 20_000, "the first daemon's events");
    await ha.until(() => ha.eventIds(`${BASE}/events`).length === made.size, 10_000, 'every event');
    await new Promise((r) => setTimeout(r, 500));

    const delivered = ha.eventIds(`${BASE}/events`);
    assert.equal([...delivered].sort(), [...made].sort(), 'delivered = made, by id');
    const byId = new Map<string, string>();
    for (const t of ha.text(`${BASE}/events`)) {
      const id = (JSON.parse(t) as PetEvent).id;
      assert.ok(!byId.has(id) || byId.get(id) === t, `a redelivery of ${id} differs`);
      byId.set(id, t);
    }
    const evs = [...byId.values()].map((t) => JSON.parse(t) as PetEvent);
    assert.is(evs.filter((e) => e.type === 'seen' && e.pet_id === 'chair_cat').length, 1, 'seen once, not made again by the restart');
    assert.is(evs.filter((e) => e.type === 'left' && e.pet_id === 'chair_cat').length, 1);

    // The second daemon's first state for the cat is the first daemon's, restored from disk
    // (live publications only: what the killed broker kept retained is not the daemon's doing).
    const states = ha.messages
      .slice(since)
      .filter((x) => x.topic === `${BASE}/pets/chair_cat/state` && !x.retain)
      .map((x) => JSON.parse(x.payload.toString()) as PetState);
    assert.ok(states.length >= 2, JSON.stringify(states));
    const restored = states[0]!;
    assert.is(restored.state, 'present', JSON.stringify(states));
    assert.ok(restored.last_seen && Date.parse(restored.last_seen) <= seenAt, JSON.stringify(restored));
    const last = states.at(-1)!;
    assert.is(last.state, 'away');
    assert.is(last.last_seen, restored.last_seen, 'away, last seen when the first daemon saw it');
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
    await ha.close();
  }
});

test('broker SIGKILLed mid-run and restarted: every event delivered once by id; status and states retained again', async () => {
  const B = 'gloves/brokerkill';
  // A SIGKILLed broker forgets every session: a subscriber gets what is published after it has subscribed again.
  // So Home Assistant reconnects well before the daemon does (as a subscriber must, for events that are not retained).
  const ha = await record(broker.url, [`${B}/#`], { clientId: 'ha-brokerkill', clean: false, reconnectPeriod: 50 });
  const d = run(`file://${catClip}`, 'brokerkill', 1.5);
  try {
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    await broker.kill();
    await d.waitForLine(/INFO gloves:mqtt: event seen .*"pet":"Chair cat"/, 60_000);
    await broker.restart();
    await d.waitForLine(/broker back/, 20_000);
    await ha.until(() => ha.client.connected, 10_000, 'Home Assistant reconnected');
    await ha.until(() => madeIds(d).every((id) => ha.eventIds(`${B}/events`).includes(id)), 20_000, 'the events');
    await new Promise((r) => setTimeout(r, 500));
    const made = madeIds(d);
    assert.equal([...ha.eventIds(`${B}/events`)].sort(), [...made].sort(), 'delivered = made, by id');
    const byId = new Map<string, string>();
    for (const t of ha.text(`${B}/events`)) {
      const id = (JSON.parse(t) as PetEvent).id;
      assert.ok(!byId.has(id) || byId.get(id) === t, `a redelivery of ${id} differs`);
      byId.set(id, t);
    }
    // The killed broker lost its retained messages: the daemon publishes them again on reconnect.
    const late = await record(broker.url, [`${B}/status`, `${B}/pets/chair_cat/state`], { clientId: 'late-brokerkill' });
    try {
      await late.until(
        () => late.text(`${B}/status`).includes('online') && late.json<PetState>(`${B}/pets/chair_cat/state`).length > 0,
        10_000,
        'retained status and state after the broker restart',
      );
      const st = late.json<PetState>(`${B}/pets/chair_cat/state`)[0]!;
      assert.ok(st.last_seen !== null, JSON.stringify(st));
    } finally {
      await late.close();
    }
  } finally {
    d.child.kill('SIGKILL');
    await ha.close();
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lifecycle, type Component } from '../../daemon/src/runtime/components.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { tickMayPingWatchdog } from '../../daemon/src/runtime/watchdog.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { safeId, topics } from '../../daemon/src/mqtt/topics.js';

function comps(log: string[], failStart?: string, failStop?: string): Component[] {
  return ['camera', 'recognition', 'tracking', 'presence', 'mqtt'].map((name) => ({
    name,
    start: async () => {
      if (name === failStart) throw new GlovesError('MQTT_AUTH', 'nope');
      log.push(`start ${name}`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
      if (name === failStop) throw new Error('stuck');
    },
  }));
}

test('components start in order and stop in reverse', async () => {
  const log: string[] = [];
  const lc = new Lifecycle(comps(log), createLogger('t', { level: 'silent' }));
  await lc.start();
  assert.equal(lc.running(), ['camera', 'recognition', 'tracking', 'presence', 'mqtt']);
  assert.equal(await lc.stop(), []);
  assert.equal(log, [
    'start camera',
    'start recognition',
    'start tracking',
    'start presence',
    'start mqtt',
    'stop mqtt',
    'stop presence',
    'stop tracking',
    'stop recognition',
    'stop camera',
  ]);
});

test('a failing component is reported, the started ones are stopped, its code is kept', async () => {
  const log: string[] = [];
  const lines: string[] = [];
  const lc = new Lifecycle(comps(log, 'tracking'), createLogger('t', { sink: (l) => lines.push(l) }));
  try {
    await lc.start();
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MQTT_AUTH');
    assert.is((err as GlovesError).context.component, 'tracking');
    assert.match((err as Error).message, /^tracking: nope/);
  }
  assert.equal(log, ['start camera', 'start recognition', 'stop recognition', 'stop camera']);
  assert.ok(lines.some((l) => l.startsWith('ERROR') && l.includes('component tracking failed to start')));
});

test('a component failing to stop does not keep the others running', async () => {
  const log: string[] = [];
  const lc = new Lifecycle(comps(log, undefined, 'presence'), createLogger('t', { level: 'silent' }));
  await lc.start();
  assert.equal(await lc.stop(), ['presence']);
  assert.ok(log.includes('stop camera'));
});

test('stop during start: waits for the component being started, starts nothing more, stops exactly what started, in reverse, once', async () => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const cs = comps(log).map((c) =>
    c.name === 'recognition' ? { ...c, start: async () => void (await gate, log.push('start recognition')) } : c,
  );
  const lc = new Lifecycle(cs, createLogger('t', { level: 'silent' }));
  const starting = lc.start();
  await new Promise((r) => setTimeout(r, 20)); // camera started, recognition in flight
  const stop1 = lc.stop();
  const stop2 = lc.stop();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(log, ['start camera'], 'nothing is stopped while a component is still starting');
  release();
  assert.is(await starting, false, 'start reports that it was interrupted');
  assert.equal(await stop1, []);
  assert.equal(await stop2, []);
  assert.equal(await lc.stop(), []);
  assert.equal(log, ['start camera', 'start recognition', 'stop recognition', 'stop camera']);
  assert.equal(lc.running(), []);
});

test('tick watchdog rule: pings while reconnecting or after a clean end, never while a frame is being processed or the source owes frames', () => {
  assert.ok(tickMayPingWatchdog('waiting', 'reconnecting'));
  assert.ok(tickMayPingWatchdog('waiting', 'ended'));
  assert.ok(tickMayPingWatchdog('idle', 'ended'));
  for (const s of ['running', 'reconnecting', 'ended'] as const) assert.not.ok(tickMayPingWatchdog('processing', s), `processing/${s}`);
  assert.not.ok(tickMayPingWatchdog('waiting', 'running'));
  assert.not.ok(tickMayPingWatchdog('starting', 'running'));
  assert.not.ok(tickMayPingWatchdog('stopped', 'reconnecting'));
});

test('topic builders and id sanitising', () => {
  const t = { baseTopic: 'gloves/', deviceId: 'hall', discoveryPrefix: 'homeassistant' };
  assert.is(topics.status(t), 'gloves/hall/status');
  assert.is(topics.events(t), 'gloves/hall/events');
  assert.is(topics.petState(t, 'mia'), 'gloves/hall/pets/mia/state');
  assert.is(topics.petSnapshot(t, 'mia'), 'gloves/hall/pets/mia/snapshot');
  assert.is(topics.discovery(t, 'sensor', 'mia', 'last_seen'), 'homeassistant/sensor/gloves_hall/mia_last_seen/config');
  assert.is(safeId('a b/c+#é'), 'a_b_c___');
});

test.run();

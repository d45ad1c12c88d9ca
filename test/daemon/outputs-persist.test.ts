/**
 * When Outputs rewrites pets.json (runtime/outputs.ts): a present/away flip at
 * once; a refresh (a newer last_seen only) at most every PERSIST_REFRESH_MS;
 * persist() (what a clean stop calls) writes the latest state whenever it runs.
 * Real Presence, PetStateStore and MqttBridge (never connected: the file is
 * what is checked); time is the nowMs the frame loop passes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { Outbox } from '../../daemon/src/events/outbox.js';
import { SnapshotStore } from '../../daemon/src/events/snapshot-store.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import { Presence } from '../../daemon/src/presence/presence.js';
import { PetStateStore } from '../../daemon/src/presence/store.js';
import { Outputs, PERSIST_REFRESH_MS } from '../../daemon/src/runtime/outputs.js';
import { bridgeFor } from './support/bridge.js';

const appy = { petId: 'appy', name: 'Appy' };

test('pets.json: a flip at once, a refresh at most every PERSIST_REFRESH_MS, persist() the latest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-outputs-'));
  const log = silentLogger();
  const cfg = loadConfig({ overrides: { mqtt: { url: 'mqtt://127.0.0.1:1' } } });
  const outbox = new Outbox(dir, log);
  outbox.open();
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, log);
  const bridge = bridgeFor(
    conn,
    outbox,
    { discovery: null, snapshotsDir: join(dir, 'snap'), states: () => ({}), onRemoved: () => {} },
    log,
  );
  const P = PERSIST_REFRESH_MS;
  // Away after 0.6 P unseen: the away flip below comes 0.8 P after the last write, inside the refresh limit.
  const presence = new Presence({ awayAfterMs: 0.6 * P, unknownCooldownMs: 0 });
  presence.restore([appy], {}, 0);
  const store = new PetStateStore(dir, log);
  // stateRefreshMs 0: every sighting publishes a state, so only the file's own limit holds the writes back.
  const outputs = new Outputs(
    { presence, bridge, store, snapshots: new SnapshotStore(join(dir, 'snap')), leftovers: {} },
    { stateRefreshMs: 0, snapshotIntervalMs: 60_000 },
    log,
  );
  const seenAt = (nowMs: number): string => {
    const ts = new Date(Date.UTC(2026, 0, 1) + nowMs).toISOString();
    outputs.apply(presence.observe(nowMs, ts, [{ pet: appy, confidence: 0.9, box: [0, 0, 10, 10], track: 1 }], [], 'porch'), nowMs);
    return ts;
  };
  const onDisk = () => store.load().appy?.state;
  try {
    const t0 = 10_000;
    const first = seenAt(t0);
    assert.equal(onDisk()?.state, 'present', 'the flip to present is written at once');
    assert.is(onDisk()?.last_seen, first);
    seenAt(t0 + 0.4 * P);
    const inWindow = seenAt(t0 + 0.8 * P);
    assert.is(onDisk()?.last_seen, first, 'refreshes within PERSIST_REFRESH_MS are not written');
    outputs.persist(t0 + 0.8 * P);
    assert.is(onDisk()?.last_seen, inWindow, 'persist() (a clean stop) writes the latest');
    seenAt(t0 + 1.2 * P);
    seenAt(t0 + 1.6 * P);
    assert.is(onDisk()?.last_seen, inWindow, 'refreshes within PERSIST_REFRESH_MS of persist() are not written');
    const after = seenAt(t0 + 1.8 * P);
    assert.is(onDisk()?.last_seen, after, 'a refresh PERSIST_REFRESH_MS after the last write is written');
    seenAt(t0 + 2 * P);
    assert.is(onDisk()?.last_seen, after, 'and the next one within the window is not');
    const left = presence.tick(t0 + 2.6 * P, new Date().toISOString());
    assert.ok(left.transitions.includes('appy'), 'the tick flips appy away');
    outputs.apply(left, t0 + 2.6 * P);
    assert.is(onDisk()?.state, 'away', 'the flip to away is written at once, 0.8 P after the last write');
  } finally {
    await bridge.stop();
    outbox.close();
  }
});

test.run();

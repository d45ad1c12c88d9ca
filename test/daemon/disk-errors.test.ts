/**
 * Disk errors must not take the daemon down. A real full disk: a small tmpfs
 * (needs root, as on this machine's test runs) filled with a filler file.
 * Delivery runs against a real Mosquitto.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { MqttConnection } from '../../daemon/src/mqtt/connection.js';
import { bridgeFor } from './support/bridge.js';
import { Outbox } from '../../daemon/src/events/outbox.js';
import { EventQueue } from '../../daemon/src/events/event-queue.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { createLogger, silentLogger } from '../../daemon/src/log/logger.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { writeFileAtomic } from '../../daemon/src/util/atomic-file.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { record } from './support/subscriber.js';

const ev = (id: string): PetEvent => ({
  id,
  type: 'seen',
  pet: 'Appy',
  pet_id: 'appy',
  camera: 'c',
  ts: new Date().toISOString(),
  confidence: 0.9,
  box: [1, 2, 3, 4],
  track: 1,
});

const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));

let broker: Broker;
let mnt: string;

/** Fills the tmpfs until the kernel says ENOSPC. */
function fill(): void {
  try {
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(4 << 20));
    assert.unreachable('the tmpfs should be full');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
}
const unfill = (): void => rmSync(join(mnt, 'filler'), { force: true });
const tmpFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test.before(async () => {
  mnt = mkdtempSync(join(tmpdir(), 'gloves-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  broker = await startMosquitto({ persistence: true });
});
test.after(async () => {
  await broker?.stop();
  // Lazy: a failed test may still hold a file open there.
  execFileSync('umount', ['-l', mnt]);
});

test('writeFileAtomic removes its temp file when the write or the rename fails, and leaves the target alone', () => {
  const dir = join(mnt, 'atomic');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'a.txt'), 'old\n');
  fill();
  try {
    writeFileAtomic(join(dir, 'a.txt'), 'x'.repeat(64 * 1024));
    assert.unreachable();
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    unfill();
  }
  assert.equal(tmpFiles(dir), []);
  // Rename failure: the target is a non-empty directory.
  const other = mkdtempSync(join(tmpdir(), 'gloves-atomic-'));
  mkdirSync(join(other, 'target', 'sub'), { recursive: true });
  assert.throws(() => writeFileAtomic(join(other, 'target'), 'data'));
  assert.equal(tmpFiles(other), []);
});

test('outbox: a failed append stores nothing and the next one works; a failed ack advances in memory and is saved later', () => {
  const dir = join(mnt, 'outbox1');
  const o = new Outbox(dir, silentLogger());
  o.open();
  fill();
  try {
    o.append(ev('e1'));
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'OUTBOX_WRITE');
  }
  assert.is(o.pending().length, 0, 'nothing stored');
  unfill();
  assert.is(o.append(ev('e1')).seq, 1);
  fill();
  try {
    o.ack(1);
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'OUTBOX_WRITE');
  }
  assert.is(o.pending().length, 0, 'delivered: not pending any more');
  unfill();
  assert.is(o.append(ev('e2')).seq, 2);
  o.close();
  assert.equal(tmpFiles(dir), []);
  const again = new Outbox(dir, silentLogger());
  again.open();
  assert.equal(
    again.pending().map((e) => [e.seq, e.event.id]),
    [[2, 'e2']],
    'e1 not redelivered: its ack was saved by the next append',
  );
  again.close();
});

test('queue: a full disk is logged once and "writable again" once, only after a real write; what close() drops is reported as lost', async () => {
  const dir = join(mnt, 'queue');
  const lines: string[] = [];
  const outbox = new Outbox(dir, silentLogger());
  outbox.open();
  const q = new EventQueue(outbox, createLogger('t', { sink: (l) => lines.push(l) }), 20);
  fill();
  // A second of events delivered from memory (the broker is up, the disk full): retries run in between.
  for (let i = 1; i <= 10; i++) {
    q.push(ev(`m${i}`));
    const h = q.head()!;
    assert.is(h.seq, null, 'only in memory');
    q.delivered(h);
    await new Promise((r) => setTimeout(r, 60));
  }
  const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
  assert.is(count(/^ERROR .*OUTBOX_WRITE/), 1, lines.join('\n'));
  assert.is(count(/outbox writable again/), 0, `while the disk is still full:\n${lines.join('\n')}`);
  assert.not.ok(q.writable);
  unfill();
  q.push(ev('s1'));
  assert.is(count(/outbox writable again/), 1, lines.join('\n'));
  assert.ok(q.writable);
  q.delivered(q.head()!);
  // Lost: stored nowhere and not delivered when the queue closes.
  fill();
  q.push(ev('x1'));
  q.push(ev('x2'));
  q.close();
  unfill();
  assert.equal(q.lost, ['x1', 'x2']);
  assert.ok(lines.some((l) => l.startsWith('ERROR') && l.includes('they are lost') && l.includes('EVENTS_LOST')));
  outbox.close();
});

test('bridge: events while the disk is full are logged (OUTBOX_WRITE), still delivered in order, stored once the disk has room; no unhandled rejection', async () => {
  const dir = join(mnt, 'outbox2');
  const lines: string[] = [];
  const log = createLogger('t', { sink: (l) => lines.push(l) });
  const cfg = loadConfig({
    overrides: { mqtt: { url: broker.url, reconnectSeconds: 0.3, connectTimeoutSeconds: 5 }, 'device.id': 'disk' },
  });
  const conn = new MqttConnection(cfg.mqtt, cfg.device.id, log);
  const outbox = new Outbox(dir, log);
  outbox.open();
  const bridge = bridgeFor(
    conn,
    outbox,
    { discovery: null, snapshotsDir: join(dir, 'snap'), states: () => ({}), onRemoved: () => {} },
    log,
  );
  bridge.setPets([], []);
  const ha = await record(broker.url, ['gloves/disk/events'], { clientId: 'ha-disk', clean: false });
  await bridge.start();
  bridge.enqueue(ev('d1'));
  await ha.until(() => ha.eventIds('gloves/disk/events').length === 1 && bridge.pendingCount === 0, 10_000, 'd1');
  fill();
  try {
    bridge.enqueue(ev('d2'));
    bridge.enqueue(ev('d3'));
  } catch (err) {
    assert.unreachable(`enqueue threw: ${(err as Error).message}`);
  }
  const errors = lines.filter((l) => l.startsWith('ERROR') && l.includes('OUTBOX_WRITE'));
  assert.ok(errors.length >= 1, lines.join('\n'));
  await ha.until(() => ha.eventIds('gloves/disk/events').length === 3, 10_000, 'd2, d3 delivered from memory');
  // The broker is stopped: the next event must survive on disk once the disk has room.
  await broker.stop();
  await new Promise((r) => setTimeout(r, 300));
  bridge.enqueue(ev('d4'));
  assert.is(outbox.pending().length, 0, 'the disk is still full');
  assert.is(bridge.pendingCount, 1);
  unfill();
  for (let i = 0; i < 40 && outbox.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(
    outbox.pending().map((e) => e.event.id),
    ['d4'],
    'retried and stored without a new event',
  );
  assert.ok(lines.some((l) => l.includes('outbox writable again')));
  await broker.restart();
  await ha.until(() => ha.eventIds('gloves/disk/events').length === 4, 20_000, 'd4 after the broker came back');
  assert.equal(ha.eventIds('gloves/disk/events'), ['d1', 'd2', 'd3', 'd4']);
  await bridge.stop();
  outbox.close();
  await ha.close();
  assert.equal(unhandled, []);
});

test.run();

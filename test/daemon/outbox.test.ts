import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, parseOutboxLog } from '../../daemon/src/events/outbox.js';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { createLogger, silentLogger } from '../../daemon/src/log/logger.js';

const ev = (id: string): PetEvent => ({
  id,
  type: 'seen',
  pet: 'Appy',
  pet_id: 'a',
  camera: 'c',
  ts: '2024-01-01T00:00:00.000Z',
  confidence: 0.9,
  box: [1, 2, 3, 4],
  track: 1,
});
const dir = () => mkdtempSync(join(tmpdir(), 'gloves-outbox-'));

test('events are pending in order until acked, and survive a reopen with the same ids', () => {
  const d = dir();
  const o = new Outbox(d, silentLogger());
  o.open();
  o.append(ev('e1'));
  o.append(ev('e2'));
  o.append(ev('e3'));
  o.ack(1);
  o.close();
  const o2 = new Outbox(d, silentLogger());
  o2.open();
  assert.equal(
    o2.pending().map((e) => [e.seq, e.event.id]),
    [
      [2, 'e2'],
      [3, 'e3'],
    ],
  );
  o2.append(ev('e4'));
  assert.equal(
    o2.pending().map((e) => e.seq),
    [2, 3, 4],
  );
  o2.close();
});

test('ack must name the head', () => {
  const o = new Outbox(dir(), silentLogger());
  o.open();
  o.append(ev('e1'));
  o.append(ev('e2'));
  try {
    o.ack(2);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'OUTBOX_ORDER');
  }
  o.close();
});

test('after everything is acked the log is compacted and seqs keep growing', () => {
  const d = dir();
  const o = new Outbox(d, silentLogger());
  o.open();
  o.append(ev('e1'));
  o.append(ev('e2'));
  o.ack(1);
  o.ack(2);
  assert.is(readFileSync(o.logPath, 'utf8'), '');
  assert.is(o.append(ev('e3')).seq, 3);
  o.close();
  const o2 = new Outbox(d, silentLogger());
  o2.open();
  assert.equal(
    o2.pending().map((e) => e.event.id),
    ['e3'],
  );
  assert.is(o2.append(ev('e4')).seq, 4);
  o2.close();
});

test('crash between ack and compaction: delivered events are not pending again', () => {
  const d = dir();
  const o = new Outbox(d, silentLogger());
  o.open();
  o.append(ev('e1'));
  o.append(ev('e2'));
  o.close();
  // Simulate: the ack file was written, the process died before compaction.
  writeFileSync(join(d, 'outbox.acked'), '2\n');
  const o2 = new Outbox(d, silentLogger());
  o2.open();
  assert.equal(o2.pending(), []);
  assert.is(o2.append(ev('e3')).seq, 3);
  o2.close();
});

test('a torn last line is dropped with a warning and appends continue cleanly', () => {
  const d = dir();
  const o = new Outbox(d, silentLogger());
  o.open();
  o.append(ev('e1'));
  o.close();
  appendFileSync(join(d, 'outbox.jsonl'), '{"seq":2,"event":{"id":"e2","ty');
  const lines: string[] = [];
  const o2 = new Outbox(d, createLogger('t', { sink: (l) => lines.push(l) }));
  o2.open();
  assert.ok(
    lines.some((l) => l.startsWith('WARN') && l.includes('torn')),
    lines.join('\n'),
  );
  assert.equal(
    o2.pending().map((e) => e.event.id),
    ['e1'],
  );
  o2.append(ev('e2b'));
  o2.close();
  const o3 = new Outbox(d, silentLogger());
  o3.open();
  assert.equal(
    o3.pending().map((e) => [e.seq, e.event.id]),
    [
      [1, 'e1'],
      [2, 'e2b'],
    ],
  );
  o3.close();
});

test('parseOutboxLog reports a corrupt middle line as bad, not as torn', () => {
  const r = parseOutboxLog('{"seq":1,"event":{"id":"a"}}\nnot json\n{"seq":2,"event":{"id":"b"}}\n');
  assert.is(r.bad, 1);
  assert.is(r.tornTail, false);
  assert.equal(
    r.entries.map((e) => e.seq),
    [1, 2],
  );
});

test('parseOutboxLog: a repeated seq or a non-integer seq is bad (a damaged file must not deliver an event twice)', () => {
  const line = (seq: unknown, id: string) => JSON.stringify({ seq, event: { id } });
  const r = parseOutboxLog([line(1, 'a'), line(2, 'b'), line(2, 'b2'), line(2.5, 'c'), line(-1, 'd'), line(3, 'e'), ''].join('\n'));
  assert.equal(
    r.entries.map((e) => [e.seq, e.event.id]),
    [
      [1, 'a'],
      [2, 'b'],
      [3, 'e'],
    ],
  );
  assert.is(r.bad, 3);
});

test.run();

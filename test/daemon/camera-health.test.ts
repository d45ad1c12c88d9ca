/** Camera availability bookkeeping and presence while the camera is blind (pure). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Presence } from '../../daemon/src/presence/presence.js';
import { CameraHealth } from '../../daemon/src/runtime/camera-health.js';
import type { Box } from '../../daemon/src/recognition/types.js';

const A = { petId: 'a', name: 'Appy' };
const box: Box = [1, 2, 3, 4];

test('a loss is reported once per outage, attempts and error are kept, the return gives the outage', () => {
  const h = new CameraHealth('t0');
  assert.equal(h.state(), { state: 'online', since: 't0', error: null });
  assert.is(h.onBack(5, 't'), null, 'not lost: nothing came back');
  assert.is(h.onAttempt(1000, 't1', 1, 'live stream ended'), true);
  assert.is(h.onAttempt(1500, 't2', 2, 'connection refused'), false);
  assert.equal(h.view(4000), { state: 'lost', since: 't1', error: 'connection refused', attempts: 2, lostMs: 3000 });
  assert.is(h.onBack(9000, 't3'), 8000);
  assert.equal(h.view(9500), { state: 'online', since: 't3', error: null, attempts: 0, lostMs: 0 });
  assert.is(h.onAttempt(10_000, 't4', 1, 'again'), true, 'a new outage is reported again');
});

test('nobody goes away while the camera is blind, and the blind time does not count', () => {
  const p = new Presence({ awayAfterMs: 5000, unknownCooldownMs: 5000 });
  p.restore([A], {}, 0);
  p.observe(1000, 't1', [{ pet: A, confidence: 0.9, box, track: 1 }], [], 'porch');
  p.blind(2000);
  p.blind(3000); // idempotent: the outage starts at the first call
  assert.ok(p.isBlind);
  assert.equal(p.tick(60_000, 'late').events, [], 'no left while blind');
  p.sighted(62_000); // 60 s blind: last seen moves to 61 s
  assert.not.ok(p.isBlind);
  assert.equal(p.tick(65_999, 'x').events, []);
  assert.equal(
    p.tick(66_000, 'y').events.map((e) => e.type),
    ['left'],
  );
  p.sighted(70_000);
  assert.equal(p.tick(80_000, 'z').events, [], 'sighted() without blind() changes nothing');
});

test.run();

/**
 * Issue 11 point 7: SIGTERM while waiting for the broker stops within 2 s; a scheme that the port
 * does not speak (mqtts:// or ws:// to plain MQTT) is named a protocol mismatch, not "unreachable",
 * and is not retried for the whole connect timeout; an outage is logged once, then summarised every
 * log.summarySeconds, not logged on every reconnect.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { requireFixtures } from '../helpers/paths.js';
import { startDaemon } from './support/daemon.js';

requireFixtures();
const dir = mkdtempSync(join(tmpdir(), 'gloves-startstop-'));
let broker: Broker;

/** A TCP port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const env = (id: string): NodeJS.ProcessEnv => ({
  GLOVES_DEVICE__STATE_DIR: join(dir, id),
  GLOVES_GALLERY__DIR: join(dir, 'gallery'),
  GLOVES_LOG__LEVEL: 'info',
});

test.before(async () => {
  broker = await startMosquitto();
});
test.after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGTERM while waiting for the broker: exit 0 within 2 s (connect timeout 27 s)', async () => {
  const d = startDaemon(['--camera', 'test://smpte', '--mqtt', `mqtt://127.0.0.1:${await deadPort()}`, '--device-id', 'wait'], {
    ...env('wait'),
    GLOVES_MQTT__CONNECT_TIMEOUT_SECONDS: '27',
  });
  await d.waitForLine(/unreachable/, 60_000);
  const t0 = Date.now();
  d.child.kill('SIGTERM');
  const exit = await d.exited();
  const ms = Date.now() - t0;
  assert.ok(ms < 2000, `took ${ms} ms to stop:\n${d.output().slice(-2000)}`);
  assert.is(exit.code, 0, d.output().slice(-2000));
  assert.match(d.output(), /stop requested while starting mqtt: start abandoned/);
});

test('SIGTERM early in startup (models, camera): exit within 2 s', async () => {
  const d = startDaemon(
    ['--camera', 'test://smpte', '--mqtt', `mqtt://127.0.0.1:${await deadPort()}`, '--device-id', 'early'],
    env('early'),
  );
  await d.waitForLine(/started camera|loading|started/, 60_000);
  const t0 = Date.now();
  d.child.kill('SIGTERM');
  await d.exited();
  const ms = Date.now() - t0;
  assert.ok(ms < 2000, `took ${ms} ms to stop:\n${d.output().slice(-2000)}`);
});

for (const scheme of ['mqtts', 'ws']) {
  test(`${scheme}:// to a plain MQTT port: MQTT_PROTOCOL_MISMATCH at once, not "unreachable" for 30 s`, async () => {
    const t0 = Date.now();
    const d = startDaemon(['--camera', 'test://smpte', '--mqtt', `${scheme}://127.0.0.1:${broker.port}`, '--device-id', scheme], {
      ...env(scheme),
      GLOVES_MQTT__CONNECT_TIMEOUT_SECONDS: '30',
    });
    const exit = await d.exited();
    const out = d.output();
    assert.is(exit.code, 1, out.slice(-2000));
    assert.match(out, /MQTT_PROTOCOL_MISMATCH/);
    assert.match(out, /does not speak/);
    assert.not.match(out, /unreachable/);
    assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms`);
  });
}

test('a broker outage is logged once (then a summary), not on every reconnect', async () => {
  const b = await startMosquitto();
  const d = startDaemon(['--camera', 'test://smpte', '--mqtt', b.url, '--device-id', 'outage'], {
    ...env('outage'),
    GLOVES_MQTT__RECONNECT_SECONDS: '0.3',
    GLOVES_LOG__SUMMARY_SECONDS: '2',
  });
  try {
    await d.waitForLine(/ready/, 90_000);
    await b.stop();
    const t0 = Date.now();
    // Reconnects every 0.3 s; the summary every 2 s: the first one within a few seconds, then more.
    await d.waitForLine(/WARN gloves:mqtt: broker still away after \d+ s/, 10_000);
    await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - t0))));
    const lines = d.output().split('\n');
    assert.is(lines.filter((l) => /broker connection lost/.test(l)).length, 1, d.output().slice(-3000));
    const summaries = lines.filter((l) => /broker still away/.test(l)).length;
    // ~5 s of outage at one summary per 2 s: 1-3 lines, never one per reconnect (~16).
    assert.ok(summaries >= 1 && summaries <= 3, `${summaries} summary lines:\n${d.output().slice(-3000)}`);
    await b.restart();
    await d.waitForLine(/broker back/, 30_000);
  } finally {
    d.child.kill('SIGTERM');
    await d.exited();
    await b.stop();
  }
});

test.run();

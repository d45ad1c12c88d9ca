/**
 * The HTTP server over real HTTP against a running daemon: /healthz, /metrics (checked by a strict
 * Prometheus parser), the OpenAPI document (validated as OpenAPI 3), bearer auth on loopback and
 * beyond it, JSON errors, and the refusals to start without a token.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parsePrometheus } from '../helpers/prometheus.js';
import { freePort } from '../helpers/mosquitto.js';
import { startDaemon } from '../daemon/support/daemon.js';
import { errorCode, startHttpDaemon, TOKEN, type HttpDaemon } from './support/http-daemon.js';

let d: HttpDaemon;

test.before(async () => {
  d = await startHttpDaemon();
});
test.after(async () => {
  await d?.stop();
});

test('/healthz: camera, inference, mqtt and disk are ok, without a token', async () => {
  const res = await d.api('/healthz', { token: null });
  const body = (await res.json()) as {
    status: string;
    checks: Record<string, { status: string }>;
    cameras: Record<string, { status: string }>;
  };
  assert.is(res.status, 200, JSON.stringify(body));
  assert.is(body.status, 'ok');
  assert.equal(Object.keys(body.checks).sort(), ['camera', 'disk', 'inference', 'mqtt']);
  assert.equal(body.cameras, { camera: { status: 'ok' } }, 'each camera beside the checks: the one camera of the camera section');
  for (const c of Object.values(body.checks)) assert.is(c.status, 'ok');
});

test('/healthz: 503 with the reason when the broker goes away', async () => {
  await d.broker.stop();
  try {
    let body: { status: string; checks: { mqtt: { status: string; reason?: string } } } | undefined;
    let status = 0;
    for (let i = 0; i < 50 && status !== 503; i++) {
      const res = await d.api('/healthz');
      status = res.status;
      body = (await res.json()) as typeof body;
      if (status !== 503) await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(status, 503);
    assert.is(body!.status, 'failing');
    assert.is(body!.checks.mqtt.status, 'failing');
    assert.match(body!.checks.mqtt.reason ?? '', /broker/);
  } finally {
    await d.broker.restart();
  }
});

test('/metrics: valid Prometheus text with every family the issue names', async () => {
  // Let a few frames through first.
  await d.daemon.waitForLine(/INFO gloves:http: http listening/, 1000);
  let families = parsePrometheus(await (await d.api('/metrics')).text());
  for (
    let i = 0;
    i < 100 && (families.get('gloves_frames_total')?.samples.find((s) => s.labels.result === 'animal')?.value ?? 0) < 3;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 200));
    families = parsePrometheus(await (await d.api('/metrics')).text());
  }
  const res = await d.api('/metrics');
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  families = parsePrometheus(await res.text());
  const type = (n: string): string | undefined => families.get(n)?.type;
  assert.is(type('gloves_frames_total'), 'counter');
  assert.is(type('gloves_stage_seconds'), 'histogram');
  assert.is(type('gloves_events_total'), 'counter');
  assert.is(type('gloves_outbox_depth'), 'gauge');
  assert.is(type('gloves_pets'), 'gauge');
  assert.is(type('gloves_visitors'), 'gauge');
  assert.is(type('gloves_build_info'), 'gauge');
  const frames = families.get('gloves_frames_total')!.samples;
  assert.equal(frames.map((s) => s.labels.result).sort(), ['animal', 'empty', 'failed']);
  assert.ok(frames.find((s) => s.labels.result === 'animal')!.value >= 3, JSON.stringify(frames));
  const stages = new Set(families.get('gloves_stage_seconds')!.samples.map((s) => s.labels.stage));
  assert.equal([...stages].sort(), ['detect', 'embed', 'gate', 'match', 'track']);
  const info = families.get('gloves_build_info')!.samples[0]!;
  assert.is(info.value, 1);
  assert.match(info.labels.version!, /^\d+\.\d+\.\d+/);
  assert.is(info.labels.backend, 'onnxruntime');
});

test('/v1/openapi.json validates as OpenAPI 3 and lists the routes', async () => {
  const doc = (await (await d.api('/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(doc.openapi, /^3\./);
  await SwaggerParser.validate(structuredClone(doc) as never);
  assert.ok('/healthz' in doc.paths && '/metrics' in doc.paths, Object.keys(doc.paths).join(' '));
});

test('auth on loopback: reads are open, writes need the right token, compared in constant time', async () => {
  assert.is((await d.api('/metrics', { token: null })).status, 200);
  // A wrong token is refused even where no token is needed: a client that sends one must send the right one.
  assert.is(await errorCode(await d.api('/metrics', { token: 'nope' }), 401), 'HTTP_UNAUTHORIZED');
  const none = await d.api('/v1/anything', { method: 'POST', token: null });
  assert.is(none.headers.get('www-authenticate'), 'Bearer');
  assert.is(await errorCode(none, 401), 'HTTP_UNAUTHORIZED');
  assert.is(await errorCode(await d.api('/v1/anything', { method: 'POST', token: `${TOKEN}x` }), 401), 'HTTP_UNAUTHORIZED');
  assert.is(await errorCode(await d.api('/v1/anything', { method: 'POST', token: TOKEN.slice(0, -1) }), 401), 'HTTP_UNAUTHORIZED');
  assert.is(
    await errorCode(await d.api('/v1/anything', { method: 'POST', token: null, headers: { authorization: `Basic ${TOKEN}` } }), 401),
    'HTTP_UNAUTHORIZED',
  );
  // The right token passes auth; there is no such route.
  assert.is(await errorCode(await d.api('/v1/anything', { method: 'POST' }), 404), 'HTTP_NOT_FOUND');
  assert.is(await errorCode(await d.api('/nope'), 404), 'HTTP_NOT_FOUND');
});

test('beyond loopback: the daemon refuses to start without a token', async () => {
  const port = await freePort();
  const r = startDaemon(['--camera', 'test://ball', '--mqtt', d.broker.url, '--gallery', d.gallery, '--http', `0.0.0.0:${port}`], {
    GLOVES_HTTP__TOKEN: undefined,
  });
  const exit = await r.exited();
  assert.is(exit.code, 1);
  assert.match(r.output(), /CONFIG_INVALID/);
  assert.match(r.output(), /http\.token: required when listen \(0\.0\.0\.0:\d+\) is beyond loopback/);
});

test('beyond loopback: everything but /healthz needs the token', async () => {
  const broker = d.broker;
  const port = await freePort();
  const r = startDaemon(
    ['--camera', 'test://ball', '--mqtt', broker.url, '--gallery', d.gallery, '--device-id', 'far', '--http', `0.0.0.0:${port}`],
    {
      GLOVES_HTTP__TOKEN: TOKEN,
      GLOVES_DEVICE__STATE_DIR: `${d.dir}/state-far`,
    },
  );
  try {
    await r.waitForLine(/INFO gloves: ready/, 120_000);
    const url = `http://127.0.0.1:${port}`;
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    assert.is(await errorCode(await fetch(`${url}/metrics`), 401), 'HTTP_UNAUTHORIZED');
    assert.is(await errorCode(await fetch(`${url}/v1/openapi.json`), 401), 'HTTP_UNAUTHORIZED');
    assert.is((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  } finally {
    r.child.kill('SIGTERM');
    await r.exited();
  }
});

test.run();

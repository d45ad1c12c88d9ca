/** The HTTP layer's pure parts: listen addresses, the auth decision, error mapping, the Prometheus text. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authorize, bearerToken, tokensEqual } from '../../daemon/src/http/auth.js';
import { isLoopback, parseListen } from '../../daemon/src/http/config.js';
import { toHttpError } from '../../daemon/src/http/errors.js';
import { renderPrometheus } from '../../daemon/src/http/prometheus.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { ConfigError } from '../../daemon/src/errors.js';
import { RuntimeMetrics } from '../../daemon/src/runtime/metrics.js';
import { parsePrometheus } from '../helpers/prometheus.js';

test('parseListen: HOST:PORT, [IPv6]:PORT, off; anything else is a problem string', () => {
  assert.equal(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.equal(parseListen('[::1]:9'), { host: '::1', port: 9 });
  assert.equal(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  assert.is(parseListen('off'), null);
  for (const bad of ['8080', '127.0.0.1', 'a:b', '1.2.3.4:70000', '[zz]:1', '::1:80', '']) assert.type(parseListen(bad), 'string', bad);
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.1.2.3'));
  assert.not.ok(isLoopback('0.0.0.0') || isLoopback('192.168.1.2') || isLoopback('::'));
});

test('config: token rules are config errors naming the key; GLOVES_HTTP__TOKEN sets the token', () => {
  const problems = (over: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] => {
    try {
      loadConfig({ overrides: over, env });
      return [];
    } catch (e) {
      return [...(e as ConfigError).problems];
    }
  };
  assert.equal(problems({ 'http.listen': '0.0.0.0:80' }), [
    'http.token: required when listen (0.0.0.0:80) is beyond loopback: set http.token, http.tokenFile or GLOVES_HTTP__TOKEN',
  ]);
  assert.equal(problems({ 'http.listen': '0.0.0.0:80' }, { GLOVES_HTTP__TOKEN: 'x'.repeat(16) }), []);
  assert.equal(problems({ 'http.token': 'short' }), ['http.token: must be at least 16 characters']);
  assert.equal(problems({ 'http.token': 'x'.repeat(16), 'http.tokenFile': '/t' }), ['http.tokenFile: give token or tokenFile, not both']);
  assert.is(loadConfig({ env: { GLOVES_HTTP__TOKEN: 'y'.repeat(20) } }).http.token, 'y'.repeat(20));
  assert.is(loadConfig().http.listen, '127.0.0.1:8080');
  assert.equal(problems({ 'http.listen': '8080' }), ['http.listen: must be HOST:PORT (IPv6 as [ADDR]:PORT) or off, got "8080"']);
});

test('authorize: public, read (open on loopback only), write (always the token)', () => {
  const T = 'secret-token-123456';
  const ok = `Bearer ${T}`;
  assert.is(authorize('public', undefined, undefined, false), null);
  assert.is(authorize('read', undefined, T, true), null);
  assert.is(authorize('read', undefined, T, false)?.code, 'HTTP_UNAUTHORIZED');
  assert.is(authorize('read', ok, T, false), null);
  assert.is(authorize('read', 'Bearer wrong', T, true)?.code, 'HTTP_UNAUTHORIZED');
  assert.is(authorize('write', undefined, T, true)?.code, 'HTTP_UNAUTHORIZED');
  assert.is(authorize('write', ok, T, true), null);
  assert.is(authorize('write', ok, undefined, true)?.code, 'HTTP_NO_TOKEN');
  assert.is(bearerToken('bearer  abc '), 'abc');
  assert.is(bearerToken('Basic abc'), undefined);
  assert.ok(tokensEqual('abc', 'abc'));
  assert.not.ok(tokensEqual('abc', 'abcd'));
});

test('toHttpError: our codes keep their status, Fastify errors are translated, the rest is a 500', () => {
  assert.equal(toHttpError(new GlovesError('PET_NOT_FOUND', 'no pet')), { status: 404, code: 'PET_NOT_FOUND', message: 'no pet' });
  assert.is(toHttpError(new GlovesError('IMAGE_DECODE_FAILED', 'x')).status, 400);
  assert.is(
    toHttpError(Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code,
    'HTTP_PAYLOAD_TOO_LARGE',
  );
  assert.is(toHttpError(Object.assign(new Error('v'), { validation: [], statusCode: 400 })).status, 400);
  assert.equal(toHttpError(new Error('boom')), { status: 500, code: 'INTERNAL', message: 'boom' });
});

test('renderPrometheus: parses strictly; label values escaped; histograms cumulative', () => {
  const m = new RuntimeMetrics();
  m.frame(1, { detect: 12, embed: 30 });
  m.frame(0, { detect: 0.5 });
  m.failed('boom');
  m.event('seen');
  m.event('seen');
  const text = renderPrometheus({
    ...m.snapshot(),
    outboxDepth: 2,
    pets: 3,
    visitors: 1,
    build: { version: '1.0.0', node: 'v20', backend: 'odd "name"\\\n' },
  });
  const f = parsePrometheus(text);
  assert.equal(
    f.get('gloves_frames_total')!.samples.map((s) => [s.labels.result, s.value]),
    [
      ['animal', 1],
      ['empty', 1],
      ['failed', 1],
    ],
  );
  assert.is(f.get('gloves_events_total')!.samples[0]!.value, 2);
  assert.is(f.get('gloves_build_info')!.samples[0]!.labels.backend, 'odd "name"\\\n');
  const detect = f.get('gloves_stage_seconds')!.samples.filter((s) => s.labels.stage === 'detect');
  assert.is(detect.find((s) => s.name === 'gloves_stage_seconds_count')!.value, 2);
  assert.is(detect.find((s) => s.labels.le === '0.001')!.value, 1);
  assert.is(detect.find((s) => s.labels.le === '0.025')!.value, 2);
  assert.throws(() => parsePrometheus('x{a="b} 1\n'), /unterminated/);
  assert.throws(() => parsePrometheus('# TYPE x histogram\nx_bucket{le="1"} 1\nx_count 1\n'), /\+Inf/);
});

test.run();

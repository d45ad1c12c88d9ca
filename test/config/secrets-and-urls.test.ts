// Secrets never printed, broker URLs checked by the schema (issue 11, point 7), through the built CLI and directly.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { hasCode } from '../../daemon/src/errors.js';
import { clientOptions } from '../../daemon/src/mqtt/options.js';
import { brokerUrlProblem, redactUrl } from '../../daemon/src/mqtt/url.js';
import { cliPath } from '../helpers/paths.js';

const SECRET = 'Sup3rSekret';

function gloves(env: Record<string, string>, ...args: string[]) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GLOVES_')));
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...base, GLOVES_LOG_LEVEL: 'warn', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const bad: [string, RegExp][] = [
  ['notaurl', /is not a URL/],
  ['', /must not be empty/],
  ['http://broker:1883', /unsupported scheme http:/],
  ['mqtt://broker:99999', /port 99999 is outside 1-65535/],
  ['mqtt://', /has no host/],
  ['mqtt://:1883', /has no host/],
  [`mqtt://user:${SECRET}@`, /has no host/],
  [`mqtt://user:${SECRET}@broker:99999`, /port 99999/],
  [`mqtt://user:pa#${SECRET}@broker:1883`, /unencoded '#'.*%23/],
  [`mqtt://user:${SECRET}%zz@broker:1883`, /password has a bad %-escape/],
  ['mqtt://broker:abc', /port "abc" is not a number/],
];

test('brokerUrlProblem: each bad URL gets its reason, the password never appears', () => {
  for (const [url, why] of bad) {
    const p = brokerUrlProblem(url);
    assert.ok(p !== null, url);
    assert.match(p!, why, url);
    assert.not.match(p!, SECRET, url);
  }
  for (const ok of ['mqtt://broker', 'mqtts://u:p%25x@broker:8883', 'ws://h:9001/mqtt', 'wss://h/mqtt', 'mqtt://[::1]:1883'])
    assert.is(brokerUrlProblem(ok), null, ok);
  assert.is(redactUrl(`mqtt://u:a#b@c${SECRET}@h:1`), 'mqtt://u:***@h:1');
});

test('config check refuses bad broker URLs (all at once, masked); run would have refused them too', () => {
  for (const [url, why] of bad) {
    try {
      loadConfig({ env: { GLOVES_MQTT__URL: url } });
      assert.unreachable(url);
    } catch (e) {
      assert.ok(hasCode(e, 'CONFIG_INVALID'), url);
      const msg = (e as Error).message;
      assert.match(msg, /\(defaults; mqtt\.url from GLOVES_MQTT__URL\):\n {2}mqtt\.url: /);
      assert.match(msg, why, url);
      assert.not.match(msg, SECRET, url);
    }
  }
  const r = gloves({ GLOVES_MQTT__URL: `mqtt://user:${SECRET}%zz@broker:1883` }, 'config', 'check');
  assert.is(r.code, 1);
  assert.match(r.err, 'CONFIG_INVALID');
  assert.match(r.err, 'password has a bad %-escape');
  assert.not.match(r.err + r.out, SECRET);
  assert.not.match(r.err, 'URI malformed');
  // A config built by hand (not through the schema) is refused by the client options too.
  const cfg = loadConfig({}).mqtt;
  try {
    clientOptions({ ...cfg, url: `mqtt://u:${SECRET}@` }, 'dev');
    assert.unreachable();
  } catch (e) {
    assert.ok(hasCode(e, 'MQTT_URL'));
    assert.not.match((e as Error).message, SECRET);
  }
});

test('config show masks mqtt.password and the password in mqtt.url', () => {
  const r = gloves({ GLOVES_MQTT__URL: `mqtt://user:${SECRET}@broker:1883`, GLOVES_MQTT__PASSWORD: SECRET }, 'config', 'show');
  assert.is(r.code, 0, r.err);
  assert.not.match(r.out, SECRET);
  assert.match(r.out, 'url: mqtt://user:***@broker:1883');
  assert.match(r.out, /password: "?\*\*\*"?/);
});

test('config check names the environment overrides instead of "(defaults)"', () => {
  assert.match(gloves({}, 'config', 'check').out, 'config ok (defaults)');
  const r = gloves({ GLOVES_LOG__LEVEL: 'debug', GLOVES_MQTT__BASE_TOPIC: 'house' }, 'config', 'check');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, 'config ok (defaults + environment GLOVES_LOG__LEVEL, GLOVES_MQTT__BASE_TOPIC)');
});

test('run --camera "": one problem, blamed on the command line, not on the config file', () => {
  const r = gloves({}, 'run', '--camera', '');
  assert.is(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.equal(lines, [
    'error [CONFIG_INVALID]: invalid config (defaults; camera.uri from the command line):',
    '  camera.uri: invalid camera URI "": empty',
  ]);
});

test.run();

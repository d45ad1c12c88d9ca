import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { ConfigError } from '../../daemon/src/errors.js';

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-cfg-'));
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is((err as ConfigError).code, 'CONFIG_INVALID');
    return [...(err as ConfigError).problems];
  }
  assert.unreachable('expected a ConfigError');
  return [];
}

test('defaults fill every section', () => {
  const c = loadConfig();
  assert.is(c.camera.uri, 'test://smpte');
  assert.is(c.camera.width, 640);
  assert.is(c.camera.reconnect.maxMs, 30000);
  assert.is(c.mqtt.baseTopic, 'gloves');
  assert.is(c.inference.backend, 'auto');
  assert.is(c.device.id, 'gloves');
});

test('YAML file values override defaults, others keep defaults', () => {
  const f = tmpFile('c.yaml', 'camera:\n  uri: file:///tmp/x.mp4\n  fps: 5\nmqtt:\n  protocolVersion: 5\n');
  const c = loadConfig({ file: f });
  assert.is(c.camera.uri, 'file:///tmp/x.mp4');
  assert.is(c.camera.fps, 5);
  assert.is(c.camera.width, 640);
  assert.is(c.mqtt.protocolVersion, 5);
});

test('JSON file works too', () => {
  const f = tmpFile('c.json', JSON.stringify({ device: { id: 'kitchen' } }));
  assert.is(loadConfig({ file: f }).device.id, 'kitchen');
});

test('GLOVES_* env overrides beat the file and are typed by the schema', () => {
  const f = tmpFile('c.yaml', 'camera:\n  fps: 5\n');
  const c = loadConfig({
    file: f,
    env: {
      GLOVES_CAMERA__FPS: '12.5',
      GLOVES_MQTT__BASE_TOPIC: 'house',
      GLOVES_DEVICE__ID: '1234',
      GLOVES_CAMERA__LOOP: 'true',
      GLOVES_CAMERA__RECONNECT__MAX_MS: '1000',
      GLOVES_DETECTION__LABELS: '["cat"]',
      GLOVES_MODEL_MIRROR: '/ignored',
    },
  });
  assert.is(c.camera.fps, 12.5);
  assert.is(c.mqtt.baseTopic, 'house');
  assert.is(c.device.id, '1234');
  assert.is(c.camera.loop, true);
  assert.is(c.camera.reconnect.maxMs, 1000);
  assert.equal(c.detection.labels, ['cat']);
});

test('an env name that spells an Object.prototype member is an unknown key, not a crash', () => {
  for (const name of ['GLOVES_MQTT__CONSTRUCTOR', 'GLOVES_CONSTRUCTOR__X', 'GLOVES_MQTT__TO_STRING', 'GLOVES_CAMERA__HAS_OWN_PROPERTY']) {
    try {
      loadConfig({ env: { [name]: '1' } });
      assert.unreachable(name);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'CONFIG_INVALID', `${name}: ${(err as Error).message}`);
      assert.match((err as Error).message, /unknown key \(from environment variable GLOVES_/);
    }
  }
});

test('overrides (CLI flags) beat env', () => {
  const c = loadConfig({ env: { GLOVES_CAMERA__URI: 'test://ball' }, overrides: { 'camera.uri': 'test://snow' } });
  assert.is(c.camera.uri, 'test://snow');
});

test('several errors are reported together as path: message', () => {
  const f = tmpFile('bad.yaml', 'camera:\n  fps: -1\n  width: big\n  colour: red\nmqtt:\n  protocolVersion: 7\nbogus: 1\n');
  const p = problemsOf(() => loadConfig({ file: f, env: { GLOVES_CAMERA__HEIGHT: 'tall', GLOVES_NOPE__X: '1' } }));
  const joined = p.join('\n');
  // env problems are found before schema validation, so both kinds must appear in one report
  assert.ok(
    p.some((l) => l.startsWith('camera.height: cannot parse GLOVES_CAMERA__HEIGHT')),
    joined,
  );
  assert.ok(
    p.some((l) => l.startsWith('nope.x: unknown key')),
    joined,
  );
  assert.ok(p.length >= 2, joined);
});

test('schema errors list every bad path at once', () => {
  const f = tmpFile(
    'bad.yaml',
    'camera:\n  fps: -1\n  width: big\n  colour: red\nmqtt:\n  protocolVersion: 7\nbogus: 1\ndevice:\n  id: "no spaces"\n',
  );
  const p = problemsOf(() => loadConfig({ file: f }));
  const joined = p.join('\n');
  for (const prefix of [
    'camera.fps: ',
    'camera.width: ',
    'camera.colour: unknown key',
    'mqtt.protocolVersion: ',
    'bogus: unknown key',
    'device.id: only letters',
  ]) {
    assert.ok(
      p.some((l) => l.startsWith(prefix)),
      `missing ${prefix} in\n${joined}`,
    );
  }
});

test('unreadable and malformed files are clear errors', () => {
  const missing = problemsOf(() => loadConfig({ file: '/nonexistent/gloves.yaml' }));
  assert.match(missing[0]!, /^\/nonexistent\/gloves\.yaml: cannot read config file \(ENOENT\)/);
  const f = tmpFile('broken.yaml', 'camera: [1, 2\n');
  assert.match(problemsOf(() => loadConfig({ file: f }))[0]!, /not valid YAML\/JSON/);
  const g = tmpFile('list.yaml', '- 1\n- 2\n');
  assert.match(problemsOf(() => loadConfig({ file: g }))[0]!, /top level must be a mapping/);
});

test('describeConfig lists every key with default, env name and description', async () => {
  const { describeConfig } = await import('../../daemon/src/config/describe.js');
  const keys = describeConfig();
  const uri = keys.find((k) => k.path === 'camera.uri');
  assert.ok(uri);
  assert.is(uri!.default, 'test://smpte');
  assert.is(uri!.env, 'GLOVES_CAMERA__URI');
  const maxMs = keys.find((k) => k.path === 'camera.reconnect.maxMs');
  assert.is(maxMs?.env, 'GLOVES_CAMERA__RECONNECT__MAX_MS');
  // Every documented env name must round-trip through the env loader.
  assert.is(keys.find((k) => k.path === 'cameras')?.env, '', 'a list has no environment variable');
  for (const k of keys) {
    if (k.default === undefined || typeof k.default === 'object') continue;
    const c = loadConfig({ env: { [k.env]: String(k.default) } }) as unknown as Record<string, Record<string, unknown>>;
    assert.ok(c, k.path);
  }
  for (const k of keys) assert.ok(k.description.length > 0, `${k.path} has no description`);
});

test('mqtt.homeAssistant.statsSeconds: 10 by default; below 1 s refused, naming the key', () => {
  assert.is(loadConfig().mqtt.homeAssistant.statsSeconds, 10);
  assert.is(loadConfig({ overrides: { mqtt: { homeAssistant: { statsSeconds: 30 } } } }).mqtt.homeAssistant.statsSeconds, 30);
  const problems = problemsOf(() => loadConfig({ overrides: { mqtt: { homeAssistant: { statsSeconds: 0.2 } } } }));
  assert.ok(
    problems.some((p) => p.startsWith('mqtt.homeAssistant.statsSeconds:')),
    problems.join('\n'),
  );
});

test.run();

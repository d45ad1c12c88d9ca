/** Config validation of MQTT topic prefixes, and `gloves probe` flags checked against the camera schema. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { ConfigError } from '../../daemon/src/errors.js';
import { cli } from './support/daemon.js';

function problems(overrides: Record<string, unknown>): readonly string[] {
  try {
    loadConfig({ overrides });
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

test('mqtt.baseTopic and mqtt.discoveryPrefix: non-empty, no wildcards, no edge or empty levels', () => {
  for (const key of ['baseTopic', 'discoveryPrefix']) {
    for (const bad of ['', '+', '#', 'home/+/x', 'gloves/#', '/gloves', 'gloves/', 'a//b', '/']) {
      const p = problems({ [`mqtt.${key}`]: bad });
      assert.is(p.length, 1, `${key}=${JSON.stringify(bad)}: ${p.join('; ')}`);
      assert.ok(p[0]!.startsWith(`mqtt.${key}: `), p[0]);
    }
    for (const good of ['gloves', 'home/pets', 'a-b_c/d e']) assert.equal(problems({ [`mqtt.${key}`]: good }), [], good);
  }
});

test('gloves config check reports a bad base topic from a file and from the environment as mqtt.<key>: ...', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-cfgtopic-'));
  const f = join(dir, 'c.yaml');
  writeFileSync(f, 'mqtt:\n  baseTopic: "gloves/#"\n');
  const r = cli(['config', 'check', '--config', f], { GLOVES_MQTT__DISCOVERY_PREFIX: '/ha' });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error \[CONFIG_INVALID\]/);
  assert.match(r.stderr, /mqtt\.baseTopic: must not contain the MQTT wildcards/);
  assert.match(r.stderr, /mqtt\.discoveryPrefix: must not start or end with '\/'/);
  const ok = cli(['config', 'check']);
  assert.is(ok.code, 0, ok.stderr);
});

test('gloves probe: out-of-bounds or malformed camera flags are usage errors named camera.<key>, before any pipeline', () => {
  const r = cli(['probe', 'test://ball', '--width', '100001', '--height', '8', '--fps', 'fast']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /error \[USAGE\]/);
  assert.match(r.stderr, /camera\.width: .*7680.*\(--width\)/);
  assert.match(r.stderr, /camera\.height: .*16.*\(--height\)/);
  assert.match(r.stderr, /camera\.fps: .*\(--fps\)/);
  assert.not.match(r.stdout + r.stderr, /GStreamer element is missing|PIPELINE_INVALID/);
  assert.is(cli(['probe', 'test://ball', '--fps', '0']).code, 2);
  assert.is(cli(['probe', 'test://ball', '--width', '320.5']).code, 2);
  const ok = cli(['probe', 'test://ball', '--frames', '2', '--width', '320', '--height', '240', '--fps', '30', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(JSON.parse(ok.stdout).width, 320);
});

test.run();

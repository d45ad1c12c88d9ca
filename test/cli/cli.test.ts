import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../helpers/paths.js';

const gloves = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000 });

test('gloves --help lists the subcommands', () => {
  const r = gloves('--help');
  assert.is(r.status, 0);
  for (const c of ['models', 'config']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('an unknown command is a usage error (exit 2) that names it', () => {
  const r = gloves('frobnicate');
  assert.is(r.status, 2);
  assert.match(r.stderr, /error \[USAGE\]: unknown command "frobnicate"/);
});

test('an unknown flag is a usage error naming the command', () => {
  const r = gloves('config', 'check', '--bogus');
  assert.is(r.status, 2);
  assert.match(r.stderr, /error \[USAGE\]: config:/);
});

test('config check reports every problem and exits 1', () => {
  const r = spawnSync(process.execPath, [cliPath, 'config', 'check'], {
    encoding: 'utf8',
    env: { ...process.env, GLOVES_CAMERA__FPS: 'fast', GLOVES_MQTT__PROTOCOL_VERSION: '9' },
  });
  assert.is(r.status, 1);
  assert.match(r.stderr, /CONFIG_INVALID/);
  assert.match(r.stderr, /camera\.fps: cannot parse/);
  assert.match(r.stderr, /mqtt\.protocolVersion: /);
});

test('an invalid GLOVES_LOG_LEVEL is a clear error, not silently verbose', () => {
  const r = spawnSync(process.execPath, [cliPath, 'config', 'check'], {
    encoding: 'utf8',
    env: { ...process.env, GLOVES_LOG_LEVEL: 'verbose' },
  });
  assert.is(r.status, 1);
  assert.match(r.stderr, /error \[CONFIG_INVALID\]: GLOVES_LOG_LEVEL="verbose"/);
});

test.run();

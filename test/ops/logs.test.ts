/**
 * `gloves logs` (journal or file, following across rotation) and the secrets file
 * syntax shared by provision.sh, systemd's EnvironmentFile= and `sh`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { chooseLogSource, lastLines } from '../../daemon/src/ops/logs.js';
import { parseEnvFile, quoteEnvValue } from '../../daemon/src/ops/envfile.js';
import { hasCode } from '../../daemon/src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gloves-logs-'));
const gloves = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cliPath, 'logs', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

test('the journal under systemd, the file otherwise or when named', () => {
  const base = { unit: 'gloves', lines: 50, follow: true, journalctl: '/usr/bin/journalctl' };
  assert.equal(chooseLogSource({ ...base, systemdRunning: true }), {
    kind: 'journal',
    command: '/usr/bin/journalctl',
    args: ['-u', 'gloves', '-n', '50', '--no-pager', '-f'],
  });
  assert.equal(chooseLogSource({ ...base, systemdRunning: false }), { kind: 'file', file: '/var/log/gloves/gloves.log' });
  assert.equal(chooseLogSource({ ...base, systemdRunning: true, journalctl: null }), { kind: 'file', file: '/var/log/gloves/gloves.log' });
  assert.equal(chooseLogSource({ ...base, systemdRunning: true, file: '/x.log' }), { kind: 'file', file: '/x.log' });
  assert.equal(lastLines('a\nb\nc\n', 2), ['b', 'c']);
  assert.equal(lastLines('', 2), []);
});

test('gloves logs runs journalctl -u gloves under systemd', () => {
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'journalctl'), '#!/bin/sh\necho "journalctl $*"\n');
  chmodSync(join(bin, 'journalctl'), 0o755);
  const r = gloves(['-n', '5'], { PATH: `${bin}:${process.env.PATH}`, GLOVES_LOGS_SYSTEMD: '1' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'journalctl -u gloves -n 5 --no-pager');
});

test('without systemd: the last lines of the log file; a missing file is LOG_NOT_FOUND; bad flags are usage errors', () => {
  const file = join(dir, 'a.log');
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n') + '\n');
  const r = gloves(['--file', file, '-n', '3'], { GLOVES_LOGS_SYSTEMD: '0' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'line 297\nline 298\nline 299\n');
  const missing = gloves(['--file', join(dir, 'nope.log')]);
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /error \[LOG_NOT_FOUND\]/);
  const bad = gloves(['--lines', 'many']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--lines/);
});

test('--follow prints appended lines, across a rename rotation and a copytruncate', async () => {
  const file = join(dir, 'f.log');
  writeFileSync(file, 'old\n');
  const child = spawn(process.execPath, [cliPath, 'logs', '--file', file, '-n', '1', '-f'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const until = async (text: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!out.includes(text)) {
      if (Date.now() > deadline) throw new Error(`no "${text}" in ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await until('old');
    appendFileSync(file, 'one\n');
    await until('one');
    renameSync(file, file + '.1'); // logrotate's default: rename, new file
    writeFileSync(file, 'two\n');
    await until('two');
    truncateSync(file, 0); // copytruncate
    appendFileSync(file, 'three\n');
    await until('three');
  } finally {
    child.kill('SIGINT');
  }
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.is(code, 0);
  assert.is(out, 'old\none\ntwo\nthree\n');
});

test('secrets file: values survive quoting, read the same by parseEnvFile and by sh', () => {
  const values = ['plain', 'with space', `q"uo'te`, 'do$llar ${HOME}', 'back\\slash\\', 'tick`s`', '#not-a-comment', 'ünïcødé'];
  const text = values.map((v, i) => `V${i}=${quoteEnvValue(v)}`).join('\n') + '\n';
  const file = join(dir, 'secrets.env');
  writeFileSync(file, text);
  const parsed = parseEnvFile(text, file);
  values.forEach((v, i) => assert.is(parsed[`V${i}`], v));
  for (let i = 0; i < values.length; i++) {
    const r = spawnSync('sh', ['-c', `set -a; . "$0"; printf %s "$V${i}"`, file], { encoding: 'utf8' });
    assert.is(r.stdout, values[i]);
  }
  // The same quoting as provision.sh's env_line (bash), byte for byte.
  for (const v of values) {
    const r = spawnSync('bash', ['-c', `ROOT=/; . "$0"; IFS= read -r s; env_line X "$s"`, join(repoRoot, 'scripts', 'provision-lib.sh')], {
      encoding: 'utf8',
      input: v + '\n',
    });
    assert.is(r.stdout, `X=${quoteEnvValue(v)}\n`, v);
  }
  assert.equal(parseEnvFile("# c\n\nA='lit $x'\nB=bare value  \n", 's'), { A: 'lit $x', B: 'bare value' });
  for (const bad of ['A="open', 'no equals', 'A="x" trailing']) {
    try {
      parseEnvFile(bad, 'bad.env');
      assert.unreachable(bad);
    } catch (err) {
      assert.ok(hasCode(err, 'ENV_FILE_INVALID'), bad);
    }
  }
  try {
    quoteEnvValue('two\nlines');
    assert.unreachable();
  } catch (err) {
    assert.ok(hasCode(err, 'ENV_VALUE_INVALID'));
  }
});

test.run();

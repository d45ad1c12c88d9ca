/**
 * Issue 11 point 7: every command run by a user whose home is not writable printed onnxruntime's
 * ANSI-coloured "Failed to persist telemetry device ID" warning. Runs `gloves enroll` (which loads
 * both models) as `nobody` (when the test runs as root) with an unwritable HOME and no XDG cache.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catsDir, cliPath, repoRoot, requireFixtures } from '../helpers/paths.js';

requireFixtures();

test('no onnxruntime telemetry warning for a user without a writable home', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-telemetry-'));
  chmodSync(dir, 0o777);
  const asRoot = process.getuid?.() === 0;
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: '/nonexistent', GLOVES_LOG_LEVEL: 'warn' };
  delete env.XDG_CACHE_HOME;
  delete env.ORT_DISABLE_TELEMETRY;
  const r = spawnSync(
    process.execPath,
    [cliPath, 'enroll', '--gallery', join(dir, 'gallery'), '--name', 'Appy', join(catsDir, 'appy', '01.jpg')],
    { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
  );
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /now has 1 photo/);
  assert.not.match(r.stdout + r.stderr, /telemetry/i);
  assert.not.ok(r.stderr.includes('\u001b['), `no ANSI escapes on stderr: ${r.stderr}`);
});

test.run();

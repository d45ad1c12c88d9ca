/**
 * The inter-process lock's leftovers: a lock whose owner was SIGKILLed is broken, and so is an
 * owner-less lock file (killed between creating and writing it) once older than TORN_LOCK_MS;
 * a fresh owner-less file is a lock being written and is waited for.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockBusyError, TORN_LOCK_MS, withFileLock } from '../../daemon/src/util/file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'gloves-lock-'));

test('a lock of a killed process is broken at once', async () => {
  const file = join(dir, 'a.lock');
  // A real pid that is gone: a child that has exited.
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(file, JSON.stringify({ pid: Number(pid), host: hostname(), since: new Date().toISOString() }));
  const t0 = Date.now();
  assert.is(await withFileLock(file, 10_000, () => 'ran'), 'ran');
  assert.ok(Date.now() - t0 < 1000);
  assert.not.ok(existsSync(file));
});

test('an owner-less lock file older than TORN_LOCK_MS is broken; a fresh one is waited for', async () => {
  const file = join(dir, 'b.lock');
  writeFileSync(file, '');
  const old = (Date.now() - TORN_LOCK_MS - 2000) / 1000;
  utimesSync(file, old, old);
  const t0 = Date.now();
  assert.is(await withFileLock(file, 10_000, () => 'ran'), 'ran');
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  assert.equal(
    readdirSync(dir).filter((f) => f.startsWith('b.lock')),
    [],
  );
  writeFileSync(file, '{"pid": ');
  try {
    await withFileLock(file, 300, () => 'ran');
    assert.unreachable('a fresh owner-less file is a lock being written');
  } catch (err) {
    assert.instance(err, LockBusyError);
  }
});

test.run();

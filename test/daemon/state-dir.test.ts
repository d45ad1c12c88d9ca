/**
 * Issue 11 faults: the state directory is a file, read-only or full. A real
 * daemon (`gloves run`) each time; the read-only and full filesystems are small
 * tmpfs mounts (needs root, as on this machine's test runs).
 * - a file where the directory should be: STATE_DIR_INVALID naming it (was INTERNAL EEXIST);
 * - a read-only filesystem: STATE_NOT_WRITABLE, exit 1 at once (systemd's start
 *   limit then stops the restarts; every try says why);
 * - a full filesystem: the daemon runs, says so once, delivers from memory; events
 *   it could neither store nor deliver make the stop exit 1 (EVENTS_LOST).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { startDaemon, type RunningDaemon } from './support/daemon.js';

requireFixtures();
let dir: string;
let gallery: string;
let broker: Broker;
const mounts: string[] = [];

function tmpfs(opts: string): string {
  const m = mkdtempSync(join(tmpdir(), 'gloves-statefs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', m]);
  mounts.push(m);
  return m;
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gloves-statedir-'));
  gallery = join(dir, 'gallery');
  broker = await startMosquitto({});
  await enrolClipCat(gallery, dir);
});
test.after(async () => {
  await broker?.stop();
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
});

function run(id: string, stateDir: string, camera = 'test://smpte'): RunningDaemon {
  const config = {
    camera: { uri: camera },
    device: { id, stateDir },
    gallery: { dir: gallery },
    mqtt: { url: broker.url, reconnectSeconds: 0.3 },
    tracking: { awayAfterSeconds: 2, stateRefreshSeconds: 1 },
    log: { summarySeconds: 1 },
  };
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(config));
  return startDaemon(['--config', file]);
}

async function refused(d: RunningDaemon, code: string, why: RegExp): Promise<string> {
  const t0 = Date.now();
  const exit = await d.exited();
  const out = d.output();
  assert.is(exit.code, 1, out.slice(-3000));
  assert.match(out, new RegExp(`error \\[${code}\\]: presence: device.stateDir`));
  assert.match(out, why);
  assert.not.match(out, /INTERNAL|EEXIST: file already exists/);
  assert.not.match(out, /ready/);
  assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
  return out;
}

test('a file where the state directory should be: STATE_DIR_INVALID naming the path', async () => {
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  await refused(run('file', file), 'STATE_DIR_INVALID', new RegExp(`${file} is not a directory`));
  // A file further up the path: the same.
  await refused(run('file2', join(file, 'state')), 'STATE_DIR_INVALID', /is not a directory/);
});

test('a read-only state directory: STATE_NOT_WRITABLE, read-only named, exit 1', async () => {
  const ro = tmpfs('size=64k,ro');
  await refused(run('ro', ro), 'STATE_NOT_WRITABLE', /read-only filesystem \(EROFS\)/);
  // Below it (mkdir fails with EROFS), too.
  await refused(run('ro2', join(ro, 'state')), 'STATE_NOT_WRITABLE', /read-only/);
});

test('a full state directory: runs and says so once; events lost on stop (broker away too) exit 1 with EVENTS_LOST', async () => {
  const full = tmpfs('size=128k');
  try {
    writeFileSync(join(full, 'filler'), Buffer.alloc(1 << 20));
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  const d = run('full', full, `file://${catClip}`);
  try {
    await d.waitForLine(/ERROR gloves: device.stateDir .* is full/, 60_000);
    await d.waitForLine(/INFO gloves: ready/, 60_000);
    // Delivered from memory while the broker is there.
    await d.waitForLine(/INFO gloves:mqtt: event seen/, 60_000);
    await d.waitForLine(/camera source ended/, 60_000);
    await broker.stop();
    // The cat leaves 2 s after the clip ended: that event can go nowhere.
    await d.waitForLine(/INFO gloves:mqtt: event left/, 20_000);
    d.child.kill('SIGTERM');
    const exit = await d.exited();
    const out = d.output();
    assert.is(exit.code, 1, out.slice(-3000));
    assert.match(out, /error \[EVENTS_LOST\]: 1 event\(s\) lost on stop/);
    assert.match(out, /ERROR gloves:outbox: events could not be written to disk and were not delivered: they are lost/);
    assert.is(out.split('\n').filter((l) => /is full/.test(l)).length, 1, 'the full disk is reported once at start');
    assert.is(out.split('\n').filter((l) => /ERROR gloves:outbox: .*ENOSPC/.test(l)).length, 1, out.slice(-4000));
    assert.not.match(out, /outbox writable again/);
  } finally {
    d.child.kill('SIGKILL');
    await broker.restart();
  }
});

test.run();

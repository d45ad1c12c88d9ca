import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { receiver } from './support/notify-receiver.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOTIFY_EXEC_WRAPPER, SystemdNotifier } from '../../daemon/src/systemd/notify.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { repoRoot } from '../helpers/paths.js';

test('NOTIFY_SOCKET unset: nothing is sent and no helper starts', async () => {
  const n = new SystemdNotifier({ WATCHDOG_USEC: '1000000' }, silentLogger());
  n.ready();
  n.watchdog();
  n.stopping();
  assert.is(n.enabled, false);
  assert.equal(n.stats, { sent: 0, watchdogs: 0 });
  await n.close();
});

test('helper transport: READY, rate-limited WATCHDOG and STOPPING arrive as datagrams on a real socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-notify-'));
  const path = join(dir, 'notify.sock');
  const r = await receiver(path);
  try {
    const n = new SystemdNotifier({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '2000000', PATH: process.env.PATH }, silentLogger());
    assert.is(n.watchdogIntervalMs, 1000);
    n.ready('up');
    n.watchdog(10_000);
    n.watchdog(10_500); // within WATCHDOG_USEC/2: dropped
    n.watchdog(11_001);
    n.stopping();
    n.watchdog(20_000); // after STOPPING: never
    const got = await r.waitFor(5);
    assert.equal(got, ['READY=1\\nSTATUS=up', 'WATCHDOG=1', 'WATCHDOG=1', 'STOPPING=1']);
    assert.equal(n.stats, { sent: 4, watchdogs: 2 });
    await n.close();
  } finally {
    r.child.kill();
  }
});

test('abstract-namespace socket (@name) works too', async () => {
  const name = `@gloves-test-${process.pid}`;
  const r = await receiver(name);
  try {
    const n = new SystemdNotifier({ NOTIFY_SOCKET: name, PATH: process.env.PATH }, silentLogger());
    n.ready();
    assert.equal(await r.waitFor(2), ['READY=1']);
    await n.close();
  } finally {
    r.child.kill();
  }
});

test('WATCHDOG_PID of another process disables the watchdog pings', () => {
  const n = new SystemdNotifier(
    { NOTIFY_SOCKET: '/nonexistent', WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) },
    silentLogger(),
  );
  assert.is(n.watchdogIntervalMs, null);
});

test('fd transport via the exec wrapper: the main process itself sends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-notify-'));
  const path = join(dir, 'notify.sock');
  const r = await receiver(path);
  const script = join(dir, 'child.mts');
  writeFileSync(
    script,
    `import { SystemdNotifier } from ${JSON.stringify(join(repoRoot, 'daemon/src/systemd/notify.ts'))};
import { silentLogger } from ${JSON.stringify(join(repoRoot, 'daemon/src/log/logger.ts'))};
const n = new SystemdNotifier(process.env, silentLogger());
n.ready('pid ' + process.pid);
n.watchdog();
n.stopping();
await n.close();
console.log(String(process.env.GLOVES_NOTIFY_FD));
`,
  );
  try {
    const child = spawn('perl', ['-e', NOTIFY_EXEC_WRAPPER, process.execPath, '--import', 'tsx', script], {
      cwd: repoRoot,
      env: { ...process.env, NOTIFY_SOCKET: path, WATCHDOG_USEC: '1000000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.is(code, 0);
    assert.match(out.trim(), /^\d+$/, 'GLOVES_NOTIFY_FD was set by the wrapper');
    const got = await r.waitFor(4);
    // The wrapper execs node, so the PID that sent READY is the wrapper's PID: the main PID.
    assert.equal(got, [`READY=1\\nSTATUS=pid ${child.pid}`, 'WATCHDOG=1', 'STOPPING=1']);
  } finally {
    r.child.kill();
  }
});

test.run();

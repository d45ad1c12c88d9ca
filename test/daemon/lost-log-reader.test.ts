/**
 * `gloves run` whose log reader dies (the process reading its output is killed): the daemon keeps running without
 * its output, and still stops cleanly on SIGTERM. Before, the first log line after the reader died ended in
 * process.exit with camera pipelines live, which spun in native teardown and never honoured SIGTERM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto } from '../helpers/mosquitto.js';
import { cliPath } from '../helpers/paths.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the reader of its output is killed: the daemon runs on, then stops on SIGTERM', async () => {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'gloves-reader-'));
  // A reader process that starts the daemon with its output on a pipe, reports the pid, then is SIGKILLed.
  const script = `
    const { spawn } = require('node:child_process');
    const d = spawn(process.execPath, [${JSON.stringify(cliPath)}, 'run', '--camera', 'test://ball', '--mqtt', ${JSON.stringify(broker.url)},
      '--gallery', ${JSON.stringify(join(dir, 'gallery'))}, '--device-id', 'reader'],
      { env: { ...process.env, GLOVES_HTTP__LISTEN: 'off', GLOVES_DEVICE__STATE_DIR: ${JSON.stringify(join(dir, 'state'))}, GLOVES_LOG__LEVEL: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'] });
    let said = false;
    d.stdout.on('data', (c) => { if (!said && /ready/.test(String(c))) { said = true; console.log(d.pid); } });
    d.stderr.on('data', () => {});
    setInterval(() => {}, 1000);`;
  const reader = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pid = 0;
  try {
    pid = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the daemon never got ready')), 90_000);
      reader.stdout.on('data', (c: Buffer) => {
        clearTimeout(t);
        resolve(Number(String(c).trim()));
      });
    });
    reader.kill('SIGKILL');
    // Debug logging keeps writing to the dead pipe for a while.
    await sleep(3000);
    assert.ok(alive(pid), 'the daemon runs on without its log reader');
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    while (alive(pid) && Date.now() - t0 < 10_000) await sleep(100);
    assert.not.ok(alive(pid), 'stopped within 10 s of SIGTERM');
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    reader.kill('SIGKILL');
    await broker.stop();
  }
});

test.run();

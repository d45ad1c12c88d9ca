/**
 * Process-level guarantees: SIGTERM during streaming exits within 2 s (CLI and
 * a library user), and RSS stays bounded over 50 stop/start cycles of a file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createFrameSource, drainCameraPipelines } from '../../daemon/src/camera/index.js';
import { catClip, cliPath, repoRoot } from '../helpers/paths.js';
import { log, opts, within } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  afterTermMs: number;
  out: string;
}

/** Spawn, wait for `ready` on stdout/stderr, SIGTERM, and time the exit. */
function termAfterReady(cmd: string[], ready: RegExp): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd, {
      cwd: repoRoot,
      env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let termAt = 0;
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child never got ready or never exited:\n${out}`));
    }, 30000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (!termAt && ready.test(out)) {
        // Let it stream a little, then terminate.
        setTimeout(() => {
          termAt = performance.now();
          child.kill('SIGTERM');
        }, 300);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, afterTermMs: termAt ? performance.now() - termAt : -1, out });
    });
  });
}

test('SIGTERM during `gloves probe` streaming exits within 2 s', async () => {
  assert.ok(existsSync(cliPath), 'build dist first: npx tsc -p tsconfig.json');
  const r = await termAfterReady([cliPath, 'probe', 'test://ball', '--frames', '1000000', '--fps', '30'], /streaming test:\/\/ball/);
  assert.ok(r.afterTermMs > 0, r.out);
  assert.ok(r.afterTermMs < 2000, `exited ${r.afterTermMs.toFixed(0)} ms after SIGTERM`);
  assert.is(r.code, 143, r.out);
  assert.match(r.out, /interrupted/);
});

test('SIGTERM to a library user streaming a looping file: stop() alone lets the process exit within 2 s', async () => {
  const child = join(repoRoot, 'test', 'camera', 'fixtures', 'stream-child.ts');
  const r = await termAfterReady(['--import', 'tsx', child, `file://${catClip}`], /streaming/);
  assert.ok(r.afterTermMs > 0 && r.afterTermMs < 2000, `exited ${r.afterTermMs.toFixed(0)} ms after SIGTERM\n${r.out}`);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /ended after \d+/);
});

test('SIGTERM to a library user streaming test://: exits within 2 s', async () => {
  const child = join(repoRoot, 'test', 'camera', 'fixtures', 'stream-child.ts');
  const r = await termAfterReady(['--import', 'tsx', child, 'test://ball'], /streaming/);
  assert.ok(r.afterTermMs > 0 && r.afterTermMs < 2000, `exited ${r.afterTermMs.toFixed(0)} ms after SIGTERM\n${r.out}`);
  assert.is(r.code, 0, r.out);
});

/**
 * Bound: 25 MB over 50 cycles after a 5-cycle warm-up. Without pipeline reuse
 * each cycle leaks the whole decode pipeline (measured here: about 2.5 MB per
 * 640x360 cycle, i.e. >100 MB for 50), so the bound separates the two.
 */
// Stated bounds. Re-creating a pipeline per start leaked ~2.6 MB per cycle here (~130 MB
// over 50 cycles). Allocator/threadpool warm-up can still add a one-off step in the first
// cycles after the baseline (seen: +26 MB by cycle 10, then flat), so the leak check is the
// change between the medians of the first and last 25 cycles' samples, with a looser bound on the total.
const RSS_BOUND_MB = 40;
const RSS_SLOPE_BOUND_MB = 10;

test(`RSS: flat (< ${RSS_SLOPE_BOUND_MB} MB between the first and last 25 cycles) and < ${RSS_BOUND_MB} MB in all over 50 stop/start cycles of a file source`, async () => {
  const mb = (): number => process.memoryUsage().rss / 1048576;
  const o = opts(`file://${catClip}`, { width: 640, height: 360 });
  let shared = createFrameSource(o, { log });
  const cycle = async (i: number): Promise<void> => {
    // Alternate: restart the same source object, and create a fresh one (the pool must serve both).
    if (i % 2 === 1) shared = createFrameSource(o, { log });
    await within(10000, shared.start(), `start ${i}`);
    for (let k = 0; k < 8; k++) assert.ok(await shared.next(), `frame ${k} of cycle ${i}`);
    await shared.stop();
  };
  for (let i = 0; i < 5; i++) await cycle(i);
  gc();
  const before = mb();
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    await cycle(i);
    if (i % 5 === 4) {
      gc();
      samples.push(Math.round(mb()));
    }
  }
  drainCameraPipelines();
  gc();
  const growth = mb() - before;
  console.log(`  rss: ${before.toFixed(0)} MB before, samples every 5 cycles ${samples.join(', ')} MB, growth ${growth.toFixed(1)} MB`);
  assert.ok(growth < RSS_BOUND_MB, `RSS grew ${growth.toFixed(1)} MB`);
  // Medians of the first and last five samples: one GC-timing outlier must not decide.
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const slope = median(samples.slice(-5)) - median(samples.slice(0, 5));
  assert.ok(slope < RSS_SLOPE_BOUND_MB, `RSS grew ${slope} MB between the first and last 25 cycles: a leak`);
});

test.run();

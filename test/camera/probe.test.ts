/** `gloves probe` end to end through the built CLI (dist/). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catClip, cliPath, repoRoot } from '../helpers/paths.js';

function probe(...args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  assert.ok(existsSync(cliPath), 'build dist first: npx tsc -p tsconfig.json');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cliPath, 'probe', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, GLOVES_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

test('probe test:// --json reports frames, size and fps', () => {
  const r = probe('test://ball', '--frames', '12', '--fps', '30', '--width', '320', '--height', '240', '--json');
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.ok, true);
  assert.is(j.frames, 12);
  assert.is(j.width, 320);
  assert.is(j.height, 240);
  assert.ok(j.fps > 15 && j.fps < 45, `fps ${j.fps}`);
  assert.is(j.error, null);
  assert.is(j.ended, 'frames');
});

test('probe of the cat clip as fast as possible reads every frame and says the stream ended', () => {
  const r = probe(`file://${catClip}`, '--frames', '500', '--fast', '--json');
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.frames + j.dropped, 223);
  assert.is(j.ended, 'eos');
  assert.ok(j.fps > 25, 'faster than real time');
});

test('probe text output is friendly', () => {
  const r = probe('test://smpte', '--frames', '3', '--fps', '30');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /frames\s+3 of 3 read, 640x360 RGB/);
  assert.match(r.stdout, /fps\s+\d+\.\d measured/);
  assert.match(r.stdout, /OK: the camera works/);
});

test('probe errors: typed code, non-zero exit, quickly', () => {
  for (const [uri, code] of [
    ['v4l2:///dev/video63', 'SOURCE_NOT_FOUND'],
    ['file:///nonexistent/cat.mp4', 'SOURCE_NOT_FOUND'],
    ['file:///etc/hostname', 'SOURCE_UNSUPPORTED'],
    ['camera://front', 'URI_INVALID'],
  ] as const) {
    const r = probe(uri, '--json');
    assert.is(r.code, 1, `${uri}: ${r.stderr}`);
    assert.is(JSON.parse(r.stdout).error.code, code, uri);
    assert.ok(r.ms < 10000, `${uri} took ${r.ms} ms`);
    const t = probe(uri);
    assert.is(t.code, 1);
    assert.match(t.stdout, new RegExp(`error\\s+\\[${code}\\]`));
    assert.match(t.stdout, /hint\s+/);
  }
});

test('probe --config: every configured camera at once, each with its own settings; --camera picks one', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gloves-probe-')), 'c.yaml');
  writeFileSync(
    file,
    'cameras:\n  - { id: ball, name: Ball, uri: "test://ball", width: 320, height: 240, fps: 30 }\n' +
      '  - { id: gone, uri: "v4l2:///dev/video97" }\n  - { id: bars, uri: "test://smpte", width: 160, height: 120, fps: 30 }\n',
  );
  const r = probe('--config', file, '--frames', '5', '--json');
  assert.is(r.code, 1, 'a missing camera fails the probe');
  const reports = JSON.parse(r.stdout) as {
    camera: string;
    name: string;
    ok: boolean;
    width: number;
    frames: number;
    error?: { code: string };
  }[];
  assert.equal(
    reports.map((x) => [x.camera, x.name, x.ok, x.width]),
    [
      ['ball', 'Ball', true, 320],
      ['gone', 'gone', false, 640],
      ['bars', 'bars', true, 160],
    ],
  );
  assert.is(reports[1]!.error?.code, 'SOURCE_NOT_FOUND');
  const one = probe('--config', file, '--camera', 'bars', '--frames', '3');
  assert.is(one.code, 0, one.stderr);
  assert.match(one.stdout, /^== bars\ncamera {2}test:\/\/smpte\nframes {2}3 of 3 read, 160x120 RGB/);
  assert.is(probe('--config', file, '--camera', 'nope').code, 2);
  assert.is(probe('test://ball', '--config', file).code, 2);
  assert.is(probe('--config', file, '--width', '100').code, 2);
});

test('probe usage errors exit 2', () => {
  assert.is(probe().code, 2);
  assert.is(probe('test://ball', '--frames', 'x').code, 2);
  assert.is(probe('test://ball', '--bogus').code, 2);
});

test.run();

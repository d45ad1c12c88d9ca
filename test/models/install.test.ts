import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installItem, verifyModelFile } from '../../daemon/src/models/install.js';
import { listManifests, parseManifest, readManifest } from '../../daemon/src/models/manifest.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { manifestsDir, modelsDir } from '../helpers/paths.js';

const log = silentLogger();
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.instance(err, GlovesError);
    return (err as GlovesError).code;
  }
  assert.unreachable('expected a GlovesError');
  return '';
}

function setup(): { mirror: string; dest: string } {
  const root = mkdtempSync(join(tmpdir(), 'gloves-inst-'));
  const mirror = join(root, 'mirror');
  mkdirSync(join(mirror, 'sub'), { recursive: true });
  writeFileSync(join(mirror, 'sub', 'a.bin'), 'hello model');
  return { mirror, dest: join(root, 'dest') };
}

test('copies from the mirror, verifies, then reports present', async () => {
  const { mirror, dest } = setup();
  const item = { path: 'sub/a.bin', sha256: sha('hello model'), url: null };
  assert.is(await installItem(item, dest, mirror, log), 'copied');
  assert.is(readFileSync(join(dest, 'sub/a.bin'), 'utf8'), 'hello model');
  assert.is(await installItem(item, dest, mirror, log), 'present');
});

test('a sha256 mismatch is refused and nothing is written', async () => {
  const { mirror, dest } = setup();
  const item = { path: 'sub/a.bin', sha256: sha('something else'), url: null };
  assert.is(await codeOf(installItem(item, dest, mirror, log)), 'SHA256_MISMATCH');
  assert.not.ok(existsSync(join(dest, 'sub/a.bin')));
  assert.not.ok(existsSync(join(dest, 'sub/a.bin.partial')));
});

test('no mirror copy and no URL is a clear SOURCE_UNAVAILABLE', async () => {
  const { mirror, dest } = setup();
  const item = { path: 'missing.bin', sha256: sha('x'), url: null };
  assert.is(await codeOf(installItem(item, dest, mirror, log)), 'SOURCE_UNAVAILABLE');
});

test('an unreachable URL is DOWNLOAD_FAILED, not a hang', async () => {
  const { dest } = setup();
  const item = { path: 'x.bin', sha256: sha('x'), url: 'http://127.0.0.1:9/x.bin' };
  assert.is(await codeOf(installItem(item, dest, undefined, log)), 'DOWNLOAD_FAILED');
});

test('shipped manifests are valid and the installed models verify', () => {
  const ms = listManifests(manifestsDir);
  assert.ok(ms.some((m) => m.task === 'detector'));
  assert.ok(ms.some((m) => m.task === 'embedder'));
  for (const m of ms) assert.ok(verifyModelFile(m, modelsDir).endsWith(m.file));
});

test('a tampered model file is refused by verifyModelFile', async () => {
  const m = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
  const dir = mkdtempSync(join(tmpdir(), 'gloves-tamper-'));
  const bytes = readFileSync(join(modelsDir, m.file));
  bytes[100] = bytes[100]! ^ 0xff;
  writeFileSync(join(dir, m.file), bytes);
  assert.is(await codeOf(() => verifyModelFile(m, dir)), 'SHA256_MISMATCH');
  assert.is(await codeOf(() => verifyModelFile(m, join(dir, 'nope'))), 'MODEL_NOT_FOUND');
});

test('an invalid manifest lists all its problems', () => {
  try {
    parseManifest({ name: 'bad name', task: 'classifier', sha256: 'xyz' }, 'bad.json');
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MANIFEST_INVALID');
    const problems = (err as GlovesError).context.problems as string[];
    for (const p of ['name: ', 'task: ', 'sha256: ', 'file: ', 'preprocess: ']) assert.ok(problems.some((l) => l.startsWith(p)), p);
  }
});

test.run();

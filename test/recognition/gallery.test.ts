import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCode, type ErrorCode } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { openGallery, GALLERY_FILE } from '../../daemon/src/recognition/gallery/gallery.js';
import { createMatcher } from '../../daemon/src/recognition/matching/matcher.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { repoRoot } from '../helpers/paths.js';

const log = silentLogger();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-gallery-'));
const unit = (seed: number) => {
  const v = new Float32Array(64).map((_, i) => Math.sin(i * seed + seed));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const photo = (seed: number) => ({
  jpeg: new Uint8Array([1, 2, 3]),
  embedding: unit(seed),
  source: `s${seed}.jpg`,
  label: 'cat' as const,
  score: 0.9,
  box: [0, 0, 1, 1] as [number, number, number, number],
});

async function expectCode(fn: () => unknown, code: ErrorCode) {
  try {
    await fn();
  } catch (e) {
    assert.ok(hasCode(e, code), `expected ${code}, got ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('round trip: pets, ids, crops and embeddings survive reopening', async () => {
  const dir = join(tmp, 'rt');
  const g = openGallery(dir, 'm@1', log, { create: true });
  await g.addPhotos('Mr. Whiskers', [photo(1), photo(2)]);
  await g.addPhotos('mr. whiskers', [photo(3)]);
  await g.addPhotos('Zoé', [photo(4)]);
  const g2 = openGallery(dir, 'm@1', log);
  assert.equal(
    g2.pets().map((p) => [p.id, p.name, p.photos.length]),
    [
      ['mr_whiskers', 'Mr. Whiskers', 3],
      ['zoe', 'Zoé', 1],
    ],
  );
  assert.equal(Array.from(g2.pets()[1]!.photos[0]!.embedding), Array.from(unit(4)));
  for (const p of g2.pets()) for (const ph of p.photos) assert.ok(existsSync(g2.cropPath(ph)));
  const cfg = loadConfig({}).matching;
  const m = createMatcher(g2, { ...cfg, threshold: 0.9 });
  assert.is(m.match(unit(4)).pet?.petId, 'zoe');
  await g2.addPhotos('Other', [photo(9)]);
  assert.is(m.match(unit(9)).pet?.petId, 'other'); // matcher follows the gallery revision
  assert.equal(
    (await g2.removePets(['other', 'Other'])).map((p) => p.id),
    ['other'],
  );
  await expectCode(() => g2.removePets(['other']), 'PET_NOT_FOUND');
  await expectCode(() => g2.addPhotos('  ', [photo(1)]), 'PET_NAME_INVALID');
});

test('missing, corrupt and mismatched galleries are typed errors; nothing is overwritten', async () => {
  await expectCode(() => openGallery(join(tmp, 'none'), 'm@1', log), 'GALLERY_NOT_FOUND');
  const dir = join(tmp, 'bad');
  const g = openGallery(dir, 'm@1', log, { create: true });
  await g.addPhotos('A', [photo(1)]);
  await expectCode(() => openGallery(dir, 'other@2', log), 'GALLERY_MODEL_MISMATCH');
  assert.is(openGallery(dir, 'other@2', log, { allowModelMismatch: true }).pets().length, 1);
  const file = join(dir, GALLERY_FILE);
  const good = readFileSync(file, 'utf8');
  for (const bad of ['{not json', JSON.stringify({ format: 'gloves-gallery' }), good.replace(/"embedding":"[^"]+"/, '"embedding":"AAA"')]) {
    writeFileSync(file, bad);
    await expectCode(() => openGallery(dir, 'm@1', log, { create: true }), 'GALLERY_CORRUPT');
    assert.is(readFileSync(file, 'utf8'), bad);
  }
});

test('a kill during writes never corrupts the gallery', async () => {
  const dir = join(tmp, 'kill');
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/recognition/gallery-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let writes = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        writes += d
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('rev')).length;
        // Kill at a varying point: often mid-write, as the writer loops without pause.
        if (writes >= 2 + round) setTimeout(() => child.kill('SIGKILL'), round * 3);
      });
      child.on('exit', () => resolve());
    });
    assert.ok(writes >= 2);
    const g = openGallery(dir, 'test-model@1', log);
    const n = g.pets().reduce((a, p) => a + p.photos.length, 0);
    assert.ok(n >= writes, `gallery lost completed writes: ${n} < ${writes}`);
    for (const p of g.pets()) for (const ph of p.photos) assert.ok(existsSync(g.cropPath(ph)), ph.crop);
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

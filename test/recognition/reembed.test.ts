// A gallery made by another embedder is refused until `gloves enroll --reembed`
// re-embeds its stored crops; nothing is re-enrolled and no photo is lost.
// Also: an empty directory given as a photo is rejected with its reason.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { catsDir, cliPath, requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-reembed-'));
const gallery = join(tmp, 'gallery');
const gloves = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, GLOVES_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const cat = (name: string, n: number) => join(catsDir, name, `${String(n).padStart(2, '0')}.jpg`);
type GalleryDoc = { embedderModelId: string; pets: { id: string; photos: { id: string; embedding: string }[] }[] };

test('a model mismatch is refused, --reembed restores the gallery from its crops', () => {
  assert.is(gloves('enroll', '--gallery', gallery, '--name', 'Koshka', cat('koshka', 1), cat('koshka', 4), cat('koshka', 8)).code, 0);
  assert.is(gloves('enroll', '--gallery', gallery, '--name', 'Roxy', cat('roxy', 1), cat('roxy', 5), cat('roxy', 9)).code, 0);
  const file = join(gallery, 'gallery.json');
  const before = JSON.parse(readFileSync(file, 'utf8')) as GalleryDoc;
  // Pretend the gallery was embedded by an older model.
  writeFileSync(file, JSON.stringify({ ...before, embedderModelId: 'old-embedder@000000000000' }));

  const refused = gloves('identify', '--gallery', gallery, '--json', cat('koshka', 6));
  assert.is(refused.code, 1);
  assert.match(refused.err, 'GALLERY_MODEL_MISMATCH');

  const r = gloves('enroll', '--gallery', gallery, '--reembed', '--json');
  assert.is(r.code, 0, r.err);
  assert.is(JSON.parse(r.out).reembedded, 6);
  const after = JSON.parse(readFileSync(file, 'utf8')) as GalleryDoc;
  assert.is(after.embedderModelId, before.embedderModelId);
  assert.equal(
    after.pets.map((p) => p.photos.map((ph) => ph.id)),
    before.pets.map((p) => p.photos.map((ph) => ph.id)),
  );

  const ok = gloves('identify', '--gallery', gallery, '--json', cat('koshka', 6), cat('roxy', 16));
  assert.is(ok.code, 0, ok.err);
  const names = ok.out
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { detections: { pet: string | null }[] }).detections[0]?.pet);
  assert.equal(names, ['Koshka', 'Roxy']);
});

test('an empty directory given as a photo is rejected with its reason; the others are kept', () => {
  const empty = join(tmp, 'empty-dir');
  mkdirSync(empty);
  const r = gloves('enroll', '--gallery', gallery, '--name', 'Leo', '--json', cat('leo', 1), empty);
  assert.is(r.code, 3, r.err);
  const j = JSON.parse(r.out) as { pet: { photos: number }; results: { accepted: boolean; code?: string }[] };
  assert.is(j.pet.photos, 1);
  assert.is(j.results[0]!.accepted, true);
  assert.is(j.results[1]!.accepted, false);
  assert.ok(typeof j.results[1]!.code === 'string' && j.results[1]!.code.length > 0);
});

test('gloves remove: an unknown name removes nothing; a known pet is gone, the others stay', () => {
  const bad = gloves('remove', '--gallery', gallery, 'Roxy', 'NoSuchCat');
  assert.is(bad.code, 1);
  assert.match(bad.err, 'PET_NOT_FOUND');
  const names = () =>
    (JSON.parse(readFileSync(join(gallery, 'gallery.json'), 'utf8')) as { pets: { name: string }[] }).pets.map((p) => p.name);
  assert.equal(names(), ['Koshka', 'Roxy', 'Leo']);
  const r = gloves('remove', '--gallery', gallery, '--json', 'roxy');
  assert.is(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out), { removed: [{ id: 'roxy', name: 'Roxy' }] });
  assert.equal(names(), ['Koshka', 'Leo']);
  const id = gloves('identify', '--gallery', gallery, '--json', cat('roxy', 16));
  assert.is((JSON.parse(id.out) as { detections: { pet: string | null }[] }).detections[0]!.pet, null);
});

test.run();

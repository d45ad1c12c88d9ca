// What a hostile new user found in `gloves enroll` / `remove` / `eval` (issue 11, point 7), through the built CLI.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { catsDir, cliPath, fixtures, requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-hostile-'));
const env = { ...process.env, GLOVES_LOG_LEVEL: 'warn' };
const cat = (name: string, n: number) => join(catsDir, name, `${String(n).padStart(2, '0')}.jpg`);

function gloves(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function glovesAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cliPath, ...args], { env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

type Doc = { pets: { id: string; name: string; photos: { crop: string; source: string }[] }[] };
const readGallery = (dir: string): Doc => JSON.parse(readFileSync(join(dir, 'gallery.json'), 'utf8')) as Doc;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => relative(dir, f));
}

test('10 concurrent enrolments: every accepted photo is kept, no orphan crop or lock file remains', async () => {
  const dir = join(tmp, 'race');
  // Five pets, each enrolled by two runs at once (the "same pet on both sides" case), two photos a run.
  const runs = ['appy', 'zelena', 'tretus', 'birba', 'leo'].flatMap((pet) => [
    { pet, photos: [cat(pet, 1), cat(pet, 5)] },
    { pet, photos: [cat(pet, 9), cat(pet, 12)] },
  ]);
  const results = await Promise.all(runs.map((r) => glovesAsync('enroll', '--gallery', dir, '--name', r.pet, '--json', ...r.photos)));
  const kept = new Map<string, Set<string>>();
  for (const [i, r] of results.entries()) {
    assert.ok(r.code === 0 || r.code === 3, `run ${i} exited ${r.code}: ${r.err}`);
    const j = JSON.parse(r.out) as { results: { image: string; accepted: boolean }[] };
    const set = kept.get(runs[i]!.pet) ?? new Set<string>();
    for (const o of j.results) if (o.accepted) set.add(o.image);
    kept.set(runs[i]!.pet, set);
  }
  const doc = readGallery(dir);
  assert.equal(doc.pets.map((p) => p.id).sort(), ['appy', 'birba', 'leo', 'tretus', 'zelena']);
  for (const p of doc.pets) assert.equal(p.photos.map((ph) => ph.source).sort(), [...kept.get(p.id)!].sort(), p.id);
  const referenced = doc.pets.flatMap((p) => p.photos.map((ph) => ph.crop)).sort();
  assert.ok(referenced.length >= 15, `only ${referenced.length} photos accepted`);
  assert.equal(filesUnder(dir).sort(), ['gallery.json', ...referenced].sort());
});

test('the same photo twice (same bytes, or the same pixels as PNG) is stored once, with a note', async () => {
  const dir = join(tmp, 'dupes');
  const copy = join(tmp, 'copy.jpg');
  copyFileSync(cat('perla', 1), copy);
  const png = join(tmp, 'same.png');
  await sharp(cat('perla', 1)).rotate().png().toFile(png);
  const r = gloves('enroll', '--gallery', dir, '--name', 'Perla', '--json', cat('perla', 1), copy, png, cat('perla', 1), cat('perla', 4));
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(
    j.results.map((o: { code?: string; skipped?: boolean }) => o.code ?? 'ok'),
    ['ok', 'DUPLICATE_PHOTO', 'DUPLICATE_PHOTO', 'DUPLICATE_PHOTO', 'ok'],
  );
  assert.is(j.pet.photos, 2);
  const text = gloves('enroll', '--gallery', dir, '--name', 'Perla', cat('perla', 6), cat('perla', 6));
  assert.is(text.code, 0, text.err);
  assert.match(text.err, /skipped .*06\.jpg: the same image as .*06\.jpg; stored once \[DUPLICATE_PHOTO\]/);
  assert.is(readGallery(dir).pets[0]!.photos.length, 3);
});

test('a new name equal to another pet id is refused, not merged; a suffixed id is announced', () => {
  const dir = join(tmp, 'ids');
  assert.is(gloves('enroll', '--gallery', dir, '--name', '猫', cat('roxy', 1)).code, 0);
  const r = gloves('enroll', '--gallery', dir, '--name', 'pet', cat('roxy', 2));
  assert.is(r.code, 1);
  assert.match(r.err, 'PET_NAME_CONFLICT');
  assert.match(r.err, '"pet" is the id of the pet "猫"');
  assert.equal(
    readGallery(dir).pets.map((p) => [p.id, p.name, p.photos.length]),
    [['pet', '猫', 1]],
  );
  assert.is(gloves('enroll', '--gallery', dir, '--name', 'Mittens', cat('ciko', 1)).code, 0);
  const bang = gloves('enroll', '--gallery', dir, '--name', 'Mittens!', cat('elvis', 1));
  assert.is(bang.code, 0, bang.err);
  assert.match(bang.err, 'note: id mittens belongs to another pet, so Mittens! has the id mittens_2');
  const clash = gloves('enroll', '--gallery', dir, '--name', 'mittens_2', cat('guppi', 1));
  assert.is(clash.code, 1);
  assert.match(clash.err, 'PET_NAME_CONFLICT');
  // The names themselves still add photos to their pets, case-insensitively.
  assert.is(gloves('enroll', '--gallery', dir, '--name', 'MITTENS!', cat('elvis', 2)).code, 0);
  assert.equal(
    readGallery(dir).pets.map((p) => [p.id, p.photos.length]),
    [
      ['pet', 1],
      ['mittens', 1],
      ['mittens_2', 2],
    ],
  );
});

test('remove: the same pet by name and by id is removed once, reported once, exit 0', () => {
  const dir = join(tmp, 'remove');
  assert.is(gloves('enroll', '--gallery', dir, '--name', 'Zoé', cat('pietra', 1)).code, 0);
  assert.is(gloves('enroll', '--gallery', dir, '--name', 'Bob', cat('koshka', 1)).code, 0);
  const r = gloves('remove', '--gallery', dir, 'Zoé', 'zoe');
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), 'removed Zoé (id zoe)');
  const typo = gloves('remove', '--gallery', dir, 'Bob', 'nobody');
  assert.is(typo.code, 1);
  assert.match(typo.err, 'PET_NOT_FOUND');
  assert.equal(
    readGallery(dir).pets.map((p) => p.id),
    ['bob'],
  );
});

test('a read-only gallery.json is refused and keeps its mode and content', () => {
  const dir = join(tmp, 'ro');
  assert.is(gloves('enroll', '--gallery', dir, '--name', 'Leo', cat('leo', 1)).code, 0);
  const file = join(dir, 'gallery.json');
  chmodSync(file, 0o444);
  const before = readFileSync(file, 'utf8');
  const r = gloves('enroll', '--gallery', dir, '--name', 'Leo', cat('leo', 2));
  assert.is(r.code, 1);
  assert.match(r.err, 'GALLERY_WRITE_FAILED');
  assert.match(r.err, 'read-only');
  assert.is(statSync(file).mode & 0o777, 0o444);
  assert.is(readFileSync(file, 'utf8'), before);
  assert.equal(filesUnder(dir).sort(), ['gallery.json', readGallery(dir).pets[0]!.photos[0]!.crop].sort());
});

test('eval where nothing can be evaluated fails clearly instead of printing top1 0', () => {
  const ds = join(tmp, 'noqueries');
  for (const pet of ['a', 'b']) {
    mkdirSync(join(ds, pet), { recursive: true });
    for (const n of [1, 2]) copyFileSync(cat(pet === 'a' ? 'appy' : 'birba', n), join(ds, pet, `${n}.jpg`));
  }
  const r = gloves('eval', '--dataset', ds, '--shots', '3');
  assert.is(r.code, 1, r.out);
  assert.match(r.err, 'EVAL_NOTHING_SCORED');
  assert.match(r.err, 'no pet has more than 3 photo(s)');
  const neg = join(tmp, 'nocats');
  for (const pet of ['a', 'b']) {
    mkdirSync(join(neg, pet), { recursive: true });
    for (const f of ['fastestdet_0.jpg', 'fastestdet_1.jpg', 'hpc203_bus.jpg'])
      copyFileSync(join(fixtures, 'negatives', f), join(neg, pet, f));
  }
  const n = gloves('eval', '--dataset', neg, '--shots', '1');
  assert.is(n.code, 1, n.out);
  assert.match(n.err, 'EVAL_NOTHING_SCORED');
});

test('--version on both programs', () => {
  const r = gloves('--version');
  assert.is(r.code, 0);
  assert.match(r.out, /^gloves \d+\.\d+\.\d+/);
  const t = spawnSync(process.execPath, [cliPath.replace('daemon/src/cli/main.js', 'calibration/src/cli/main.js'), '--version'], {
    encoding: 'utf8',
  });
  assert.is(t.status, 0, t.stderr);
  assert.match(t.stdout, /^gloves-trainer \d+\.\d+\.\d+/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

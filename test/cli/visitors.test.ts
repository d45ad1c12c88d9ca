/**
 * `gloves visitors list|name|forget` with the real models: naming a visitor enrols its
 * crops as a pet through enroll's checks (one animal per crop) and forgets the visitor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catsDir, fixtures, requireFixtures } from '../helpers/paths.js';
import { cli } from '../daemon/support/daemon.js';
import { VisitorBook } from '../../daemon/src/presence/visitors.js';
import { VisitorStore } from '../../daemon/src/presence/visitor-store.js';
import { silentLogger } from '../../daemon/src/log/logger.js';

const unit = (i: number): Float32Array => Float32Array.from({ length: 8 }, (_, k) => (k === i ? 1 : 0));

test('list, name into a pet (enroll checks), forget; unknown visitor is VISITOR_NOT_FOUND', () => {
  requireFixtures();
  const gallery = mkdtempSync(join(tmpdir(), 'gloves-visitors-cli-'));
  const store = new VisitorStore(gallery, silentLogger());
  store.load({ embedderModelId: 'any@1' });
  const book = new VisitorBook();
  const a = book.assign([unit(0)], '2024-01-01T00:00:00Z').visitor;
  const b = book.assign([unit(1)], '2024-01-01T00:01:00Z').visitor;
  // visitor-1's crops: two photos of Koshka and one without an animal (rejected by the enrol checks).
  for (const [i, f] of [
    join(catsDir, 'koshka', '02.jpg'),
    join(catsDir, 'koshka', '07.jpg'),
    join(fixtures, 'negatives', 'hpc203_bus.jpg'),
  ].entries())
    book.addCrop(a, { file: store.writeCrop(a, readFileSync(f)), quality: 10 + i, embedding: unit(i) });
  book.addCrop(b, { file: store.writeCrop(b, readFileSync(join(catsDir, 'leo', '03.jpg'))), quality: 10, embedding: unit(5) });
  store.save(book.snapshot());

  const list = cli(['visitors', 'list', '--gallery', gallery, '--json']);
  assert.is(list.code, 0, list.stderr);
  const rows = (JSON.parse(list.stdout) as { visitors: { id: string; sightings: number; crops: string[] }[] }).visitors;
  assert.equal(
    rows.map((r) => [r.id, r.sightings, r.crops.length]),
    [
      [a, 1, 3],
      [b, 1, 1],
    ],
  );

  const named = cli(['visitors', 'name', a, '--name', 'Koshka', '--gallery', gallery, '--json']);
  assert.is(named.code, 3, named.stderr); // some crops rejected, the rest enrolled
  const out = JSON.parse(named.stdout) as {
    pet: { id: string; name: string; photos: number };
    results: { accepted: boolean; code?: string }[];
  };
  assert.equal([out.pet.name, out.pet.photos], ['Koshka', 2]);
  assert.equal(
    out.results.map((r) => r.code ?? 'ok'),
    ['ok', 'ok', 'NO_ANIMAL'],
  );
  assert.not.ok(existsSync(join(gallery, 'visitors', a)), 'the named visitor is forgotten with its crops');
  const identify = cli(['identify', '--gallery', gallery, '--json', join(catsDir, 'koshka', '12.jpg')]);
  assert.is(identify.code, 0, identify.stderr);

  const forget = cli(['visitors', 'forget', b, '--gallery', gallery]);
  assert.is(forget.code, 0, forget.stderr);
  const after = JSON.parse(cli(['visitors', 'list', '--gallery', gallery, '--json']).stdout) as { visitors: unknown[] };
  assert.equal(after.visitors, []);
  const missing = cli(['visitors', 'forget', b, '--gallery', gallery]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /VISITOR_NOT_FOUND/);
});

test.run();

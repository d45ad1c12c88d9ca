/**
 * Visitors (presence/visitors.ts, presence/visitor-store.ts, runtime/visitor-recorder.ts):
 * clustering of unknown tracks into stable ids, bounded storage with least-recently-seen
 * eviction, forgetting, the CLI's removals adopted by the daemon, and crash-safe storage.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VisitorBook, type VisitorsState } from '../../daemon/src/presence/visitors.js';
import { VisitorStore } from '../../daemon/src/presence/visitor-store.js';
import { Presence } from '../../daemon/src/presence/presence.js';
import { VisitorRecorder } from '../../daemon/src/runtime/visitor-recorder.js';
import { createLogger, silentLogger } from '../../daemon/src/log/logger.js';
import { GlovesError } from '../../daemon/src/errors.js';
import type { UnknownSighting } from '../../daemon/src/presence/types.js';

const DIM = 32;
let seed = 7;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const unit = (v: Float32Array): Float32Array => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const cats = Array.from({ length: 6 }, () => unit(Float32Array.from({ length: DIM }, rand)));
/** A view of cat `c`: its direction plus noise (same-cat cosine about 0.8, different cats about 0). */
const view = (c: number, noise = 0.08): Float32Array => unit(cats[c]!.map((x) => x + noise * rand()));

/** Feeds a track of `n` frames of cat `c` and identifies it. */
function track(book: VisitorBook, id: number, c: number, ts: string, n = 3): ReturnType<VisitorBook['identify']> {
  for (let i = 0; i < n; i++) book.observe(id, view(c), id * 100 + i);
  return book.identify(id, ts);
}

test('clustering: tracks of the same cat join one visitor, another cat gets a new id, a track keeps its visitor', () => {
  const book = new VisitorBook({ threshold: 0.4 });
  const a1 = track(book, 1, 0, '2024-01-01T00:00:01Z');
  assert.equal([a1.visitor, a1.isNew, a1.assigned], ['visitor-1', true, true]);
  // Until it keeps a crop, the visitor is represented by its first track.
  const a2 = track(book, 2, 0, '2024-01-01T00:00:02Z');
  assert.equal([a2.visitor, a2.isNew, a2.assigned], ['visitor-1', false, true]);
  assert.ok(a2.similarity >= 0.4, String(a2.similarity));
  const b = track(book, 3, 1, '2024-01-01T00:00:03Z');
  assert.equal([b.visitor, b.isNew], ['visitor-2', true]);
  // The same track again: same visitor, no new sighting.
  const again = book.identify(3, '2024-01-01T00:00:04Z');
  assert.equal([again.visitor, again.isNew, again.assigned], ['visitor-2', false, false]);
  assert.equal(
    book.list().map((v) => [v.id, v.sightings, v.lastSeen]),
    [
      ['visitor-1', 2, '2024-01-01T00:00:02Z'],
      ['visitor-2', 1, '2024-01-01T00:00:04Z'],
    ],
  );
  // Kept crops become the prototype: a third track of cat 0 still joins visitor-1.
  book.addCrop('visitor-1', { file: 'a.jpg', quality: 50, embedding: view(0) });
  assert.is(track(book, 4, 0, 't5').visitor, 'visitor-1');
  assert.is(track(book, 5, 2, 't6').visitor, 'visitor-3');
});

test('eviction: at most maxVisitors, the least recently seen goes; ids are never reused', () => {
  const book = new VisitorBook({ maxVisitors: 3 });
  for (let c = 0; c < 3; c++) track(book, c + 1, c, `2024-01-01T00:00:0${c}Z`);
  // visitor-1 seen again: visitor-2 is now the least recently seen.
  assert.is(track(book, 10, 0, '2024-01-01T00:00:05Z').visitor, 'visitor-1');
  const d = track(book, 11, 3, '2024-01-01T00:00:06Z');
  assert.equal([d.visitor, d.isNew, d.evicted?.id], ['visitor-4', true, 'visitor-2']);
  assert.equal(
    book.list().map((v) => v.id),
    ['visitor-1', 'visitor-3', 'visitor-4'],
  );
  assert.is(book.snapshot().next, 5);
});

test('crops: bounded per visitor, near-identical views are not kept twice, better boxes replace worse ones', () => {
  const book = new VisitorBook({ maxCrops: 2, novelCosine: 0.97 });
  const { visitor } = track(book, 1, 0, 't');
  const e1 = view(0);
  assert.ok(book.wantsCrop(visitor, 40, e1));
  assert.equal(book.addCrop(visitor, { file: '1.jpg', quality: 40, embedding: e1 }), []);
  // The same view, barely bigger: not wanted; much bigger: replaces it.
  assert.not.ok(book.wantsCrop(visitor, 45, e1));
  assert.ok(book.wantsCrop(visitor, 80, e1));
  assert.equal(
    book.addCrop(visitor, { file: '2.jpg', quality: 80, embedding: e1 }).map((c) => c.file),
    ['1.jpg'],
  );
  book.addCrop(visitor, { file: '3.jpg', quality: 30, embedding: view(0, 0.5) });
  // Full: a new view must beat the worst kept crop, which it then replaces.
  const e4 = view(0, 0.5);
  assert.not.ok(book.wantsCrop(visitor, 20, e4));
  assert.ok(book.wantsCrop(visitor, 60, e4));
  assert.equal(
    book.addCrop(visitor, { file: '4.jpg', quality: 60, embedding: e4 }).map((c) => c.file),
    ['3.jpg'],
  );
  assert.equal(
    book
      .get(visitor)!
      .crops.map((c) => c.file)
      .sort(),
    ['2.jpg', '4.jpg'],
  );
});

test('forgetting: the visitor is gone and a live track of it gets a fresh id; removals by the CLI are adopted', () => {
  const book = new VisitorBook();
  const a = track(book, 1, 0, 't1');
  track(book, 2, 1, 't2');
  assert.ok(book.remove(a.visitor));
  assert.is(book.remove(a.visitor), undefined);
  const again = book.identify(1, 't3');
  assert.equal([again.visitor, again.isNew], ['visitor-3', true]);
  // The CLI wrote a file without visitor-2 (named as a pet); visitor-4 is newer than that file.
  track(book, 4, 3, 't4');
  const disk: VisitorsState = { next: 4, visitors: [{ id: 'visitor-3', firstSeen: 't3', lastSeen: 't3', sightings: 1, crops: [] }] };
  assert.equal(book.adoptRemovals(disk), ['visitor-2']);
  assert.equal(
    book.list().map((v) => v.id),
    ['visitor-3', 'visitor-4'],
  );
});

test('presence: unknown_seen carries the visitor, new_visitor fires once per new id (not held back by the cooldown)', () => {
  const p = new Presence({ awayAfterMs: 5000, unknownCooldownMs: 60_000 });
  p.restore([], {}, 0);
  const box: [number, number, number, number] = [1, 2, 30, 40];
  const u1 = p.observe(1000, 't1', [], [{ confidence: 0.9, box, track: 1, visitor: 'visitor-1', newVisitor: true }], 'porch');
  assert.equal(
    u1.events.map((e) => [e.type, e.visitor, e.track]),
    [
      ['unknown_seen', 'visitor-1', 1],
      ['new_visitor', 'visitor-1', 1],
    ],
  );
  const u2 = p.observe(2000, 't2', [], [{ confidence: 0.9, box, track: 2, visitor: 'visitor-2', newVisitor: true }], 'porch');
  assert.equal(
    u2.events.map((e) => [e.type, e.visitor]),
    [['new_visitor', 'visitor-2']],
  );
});

function dirWithLog(): { dir: string; lines: string[]; store: VisitorStore } {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-visitors-'));
  const lines: string[] = [];
  return { dir, lines, store: new VisitorStore(dir, createLogger('t', { sink: (l) => lines.push(l) })) };
}

test('store: round trip of ids, sightings, crops and embeddings; atomic (no temp file left)', () => {
  const { dir, store } = dirWithLog();
  const book = new VisitorBook();
  const { visitor } = track(book, 1, 0, 't1');
  const e = view(0);
  const file = store.writeCrop(visitor, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  book.addCrop(visitor, { file, quality: 33, embedding: e });
  store.load({ embedderModelId: 'emb@1' });
  store.save(book.snapshot());
  const back = new VisitorStore(dir, silentLogger()).load({ embedderModelId: 'emb@1' });
  assert.is(back.next, 2);
  assert.equal(back.visitors[0]!.crops[0]!.file, file);
  assert.equal([...back.visitors[0]!.crops[0]!.embedding], [...e]);
  assert.ok(existsSync(store.cropPath(visitor, file)));
  assert.equal(
    readdirSync(join(dir, 'visitors')).filter((f) => f.endsWith('.tmp')),
    [],
  );
  store.deleteVisitor(visitor);
  assert.not.ok(existsSync(join(dir, 'visitors', visitor)));
});

test('store: a torn or corrupt file is set aside with a clear log (the daemon goes on); the CLI refuses it', () => {
  const { dir, lines, store } = dirWithLog();
  mkdirSync(join(dir, 'visitors'), { recursive: true });
  const file = join(dir, 'visitors', 'visitors.json');
  writeFileSync(file, '{"format":"gloves-visitors","version":1,"embedderModelId":"emb@1","next":3,"visi');
  try {
    store.load({ strict: true });
    assert.unreachable('strict load accepted a torn file');
  } catch (err) {
    assert.instance(err, GlovesError);
    assert.is((err as GlovesError).code, 'VISITORS_CORRUPT');
  }
  assert.equal(store.load({ embedderModelId: 'emb@1' }), { next: 1, visitors: [] });
  assert.ok(
    lines.some((l) => l.startsWith('ERROR') && l.includes('visitors file is unusable') && l.includes('movedTo')),
    lines.join('\n'),
  );
  assert.ok(readdirSync(join(dir, 'visitors')).some((f) => f.startsWith('visitors.json.corrupt-')));
  // Another embedder's visitors do not compare: set aside too.
  store.save({ next: 2, visitors: [{ id: 'visitor-1', firstSeen: 't', lastSeen: 't', sightings: 1, crops: [] }] });
  assert.equal(new VisitorStore(dir, silentLogger()).load({ embedderModelId: 'other@2' }).visitors, []);
});

test('recorder: a corrupt file never stops the frame loop; sightings are annotated and the book is written', () => {
  const { dir, lines, store } = dirWithLog();
  mkdirSync(join(dir, 'visitors'), { recursive: true });
  writeFileSync(join(dir, 'visitors', 'visitors.json'), 'not json');
  const rec = new VisitorRecorder(
    store,
    { enabled: true, threshold: 0.4, maxVisitors: 10, maxCrops: 3, backgroundAfter: 2 },
    createLogger('t', { sink: (l) => lines.push(l) }),
  );
  rec.start('emb@1', (e) => e);
  const unknowns: UnknownSighting[] = [{ confidence: 0.9, box: [0, 0, 50, 50], track: 7, embedding: view(0) }];
  rec.annotate(unknowns, new Map([[7, unknowns[0]!.embedding!]]), 1000, '2024-01-01T00:00:00Z');
  assert.equal([unknowns[0]!.visitor, unknowns[0]!.newVisitor], ['visitor-1', true]);
  const saved = JSON.parse(readFileSync(join(dir, 'visitors', 'visitors.json'), 'utf8')) as { visitors: { id: string }[] };
  assert.equal(
    saved.visitors.map((v) => v.id),
    ['visitor-1'],
  );
  assert.ok(lines.some((l) => l.includes('new visitor visitor-1')));
});

test.run();

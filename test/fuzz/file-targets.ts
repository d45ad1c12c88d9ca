/**
 * Fuzz targets for the files the daemon and the CLI read back: gallery.json (openGallery), the
 * visitors index (strict for the CLI, lenient for the daemon), pets.json and the outbox.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../daemon/src/events/outbox.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { PetStateStore } from '../../daemon/src/presence/store.js';
import { VisitorStore } from '../../daemon/src/presence/visitor-store.js';
import { encodeEmbedding } from '../../daemon/src/recognition/gallery/gallery-file.js';
import { openGallery } from '../../daemon/src/recognition/gallery/gallery.js';
import { broken, mutateDocument, scratch, type FuzzTarget } from './harness.js';

const MODEL = 'mobilenetv2-test';
let galleryDir = '';
const emb = (k: number): string => encodeEmbedding(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + k)));
const photo = (k: number) => ({
  id: `p${k}abc`,
  crop: `crops/mia/p${k}abc.jpg`,
  source: `/photos/${k}.jpg`,
  label: 'cat',
  score: 0.9,
  box: [1, 2, 30, 40],
  addedAt: '2026-01-01T00:00:00.000Z',
  embedding: emb(k),
});

export const galleryTarget: FuzzTarget = {
  name: 'gallery',
  codes: ['GALLERY_CORRUPT', 'GALLERY_MODEL_MISMATCH'],
  async setup() {
    galleryDir = scratch();
  },
  async seeds() {
    const doc = {
      format: 'gloves-gallery',
      version: 1,
      embedderModelId: MODEL,
      revision: 3,
      pets: [
        { id: 'mia', name: 'Mia', createdAt: '2026-01-01T00:00:00.000Z', photos: [photo(1), photo(2)] },
        { id: 'zoe', name: 'Zoé', createdAt: '2026-01-02T00:00:00.000Z', photos: [photo(3)] },
      ],
    };
    return [Buffer.from(JSON.stringify(doc, null, 1))];
  },
  mutate: mutateDocument,
  async feed(input) {
    writeFileSync(join(galleryDir, 'gallery.json'), input);
    const g = openGallery(galleryDir, MODEL, silentLogger());
    for (const p of g.pets())
      for (const ph of p.photos)
        if (!(ph.embedding instanceof Float32Array) || !ph.embedding.every(Number.isFinite))
          broken(`pet ${p.id}: a bad embedding was accepted`);
    return 'ok';
  },
  async teardown() {
    rmSync(galleryDir, { recursive: true, force: true });
  },
};

let visitorsGallery = '';
export const visitorsTarget: FuzzTarget = {
  name: 'visitors',
  codes: ['VISITORS_CORRUPT'],
  async setup() {
    visitorsGallery = scratch();
    mkdirSync(join(visitorsGallery, 'visitors'));
  },
  async seeds() {
    const crop = (k: number) => ({ file: `${'0123456789abcdef'.slice(k)}${'f'.repeat(k)}.jpg`, quality: 0.7, embedding: emb(k) });
    const doc = {
      format: 'gloves-visitors',
      version: 1,
      embedderModelId: MODEL,
      next: 3,
      visitors: [
        {
          id: 'visitor-1',
          firstSeen: '2026-01-01T00:00:00.000Z',
          lastSeen: '2026-01-02T00:00:00.000Z',
          sightings: 4,
          crops: [crop(0), crop(1)],
        },
        { id: 'visitor-2', firstSeen: '2026-01-03T00:00:00.000Z', lastSeen: '2026-01-03T00:00:00.000Z', sightings: 1, crops: [] },
      ],
    };
    return [Buffer.from(JSON.stringify(doc, null, 1))];
  },
  mutate: mutateDocument,
  async feed(input) {
    const file = join(visitorsGallery, 'visitors', 'visitors.json');
    writeFileSync(file, input);
    const s = new VisitorStore(visitorsGallery, silentLogger());
    // The daemon's way first: a bad file is set aside, never thrown.
    const lenient = s.load({ embedderModelId: MODEL });
    if (!Array.isArray(lenient.visitors)) broken('lenient load returned no visitor list');
    writeFileSync(file, input);
    const strict = new VisitorStore(visitorsGallery, silentLogger()).load({ embedderModelId: MODEL, strict: true });
    for (const v of strict.visitors)
      for (const c of v.crops) if (!c.embedding.every(Number.isFinite)) broken(`${v.id}: a bad embedding was accepted`);
    return 'ok';
  },
  async teardown() {
    rmSync(visitorsGallery, { recursive: true, force: true });
  },
};

let petsDir = '';
export const petStatesTarget: FuzzTarget = {
  name: 'pet-states',
  codes: [],
  async setup() {
    petsDir = scratch();
  },
  async seeds() {
    const doc = {
      version: 1,
      pets: {
        mia: { name: 'Mia', state: { state: 'present', last_seen: '2026-01-01T00:00:00.000Z', camera: 'hall', confidence: 0.9 } },
        zoe: { name: 'Zoé', state: { state: 'away', last_seen: null, camera: null, confidence: null } },
      },
    };
    return [Buffer.from(JSON.stringify(doc, null, 1))];
  },
  mutate: mutateDocument,
  async feed(input) {
    rmSync(petsDir, { recursive: true, force: true });
    mkdirSync(petsDir);
    writeFileSync(join(petsDir, 'pets.json'), input);
    const pets = new PetStateStore(petsDir, silentLogger()).load();
    for (const [id, p] of Object.entries(pets))
      if (!['present', 'away'].includes(p.state.state)) broken(`pet ${id} restored in state ${String(p.state.state)}`);
    return 'ok';
  },
  async teardown() {
    rmSync(petsDir, { recursive: true, force: true });
  },
};

let outboxDir = '';
export const outboxTarget: FuzzTarget = {
  name: 'outbox',
  codes: [],
  async setup() {
    outboxDir = scratch();
  },
  async seeds() {
    const line = (seq: number) =>
      JSON.stringify({
        seq,
        event: {
          id: `ev-${seq}`,
          type: 'seen',
          pet: 'Mia',
          pet_id: 'mia',
          camera: 'hall',
          ts: '2026-01-01T00:00:00.000Z',
          confidence: 0.9,
          box: [1, 2, 3, 4],
          track: 1,
        },
      });
    // The ack file rides along after a NUL: "<log>\0<acked>".
    return [Buffer.from(`${line(1)}\n${line(2)}\n${line(3)}\n\u00002\n`), Buffer.from(`${line(7)}\n\u00000\n`)];
  },
  mutate: (m, seeds) => m.bytes(m.pick(seeds), seeds),
  async feed(input) {
    const b = Buffer.from(input);
    const cut = b.indexOf(0);
    rmSync(outboxDir, { recursive: true, force: true });
    mkdirSync(outboxDir);
    writeFileSync(join(outboxDir, 'outbox.jsonl'), cut < 0 ? b : b.subarray(0, cut));
    if (cut >= 0) writeFileSync(join(outboxDir, 'outbox.acked'), b.subarray(cut + 1));
    const o = new Outbox(outboxDir, silentLogger());
    o.open();
    try {
      const seqs = o.pending().map((e) => e.seq);
      if (o.pending().some((e) => typeof e.event.id !== 'string')) broken('a pending event without an id');
      if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1]!)) broken(`pending seqs out of order: ${seqs.join(',')}`);
      const next = o.append({ ...o.pending()[0]?.event, id: 'new' } as never);
      if (seqs.length > 0 && next.seq <= seqs.at(-1)!) broken(`a new event got seq ${next.seq} after ${seqs.at(-1)}`);
    } finally {
      o.close();
    }
    return 'ok';
  },
  async teardown() {
    rmSync(outboxDir, { recursive: true, force: true });
  },
};

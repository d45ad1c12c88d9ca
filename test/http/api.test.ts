/**
 * Every API route over real HTTP against `gloves run` on the shared clip (real models, a real
 * Mosquitto): identify, compare, pets and photos, visitors, sightings, the frame, the event
 * stream; and the errors: no/wrong token, oversized body, a non-image, a corrupt JPEG, unknown
 * ids, path tricks, a concurrent enrolment. Also: enrolments made while the daemon runs (by the
 * API, or by `gloves enroll` in another process) name the cat at once and are announced to
 * Home Assistant on the broker.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catsDir } from '../helpers/paths.js';
import { cli } from '../daemon/support/daemon.js';
import { record, type Recorder } from '../daemon/support/subscriber.js';
import { errorCode, startHttpDaemon, type HttpDaemon } from './support/http-daemon.js';

const photo = (cat: string, n: string): string => join(catsDir, cat, `${n}.jpg`);
/** A file's bytes in a plain ArrayBuffer-backed array (what fetch and Blob take). */
const bytes = (p: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(p));
const buf = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b);
const json = { 'content-type': 'application/json' };
const jpegBody = (b: Uint8Array<ArrayBuffer>): RequestInit => ({ method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: b });
function form(files: [field: string, path: string | Uint8Array<ArrayBuffer>, name?: string][]): FormData {
  const f = new FormData();
  for (const [field, p, name] of files)
    f.append(field, new Blob([typeof p === 'string' ? bytes(p) : p]), name ?? (typeof p === 'string' ? p.split('/').pop() : 'blob'));
  return f;
}

let d: HttpDaemon;
let ha: Recorder;
const discovery = (): string[] =>
  ha.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.payload.length > 0).map((m) => m.topic);

test.before(async () => {
  d = await startHttpDaemon({ env: { GLOVES_HTTP__MAX_UPLOAD_BYTES: String(2 * 1024 * 1024), GLOVES_HTTP__RATE_LIMIT_PER_MINUTE: '200' } });
  ha = await record(d.broker.url, ['homeassistant/#', `gloves/${d.device}/#`]);
});
test.after(async () => {
  await ha?.close();
  await d?.stop();
});

test('identify: raw JPEG body or multipart, the shape of `gloves identify --json`; type sniffed from the bytes', async () => {
  const raw = await d.api('/v1/identify', jpegBody(bytes(photo('appy', '01'))));
  const body = (await raw.json()) as { detections: { label: string; score: number; box: number[]; pet: null; confidence: number }[] };
  assert.is(raw.status, 200, JSON.stringify(body));
  assert.is(body.detections.length, 1);
  assert.equal(Object.keys(body.detections[0]!).sort(), ['box', 'confidence', 'label', 'pet', 'score']);
  assert.is(body.detections[0]!.pet, null);
  // A JPEG declared as PNG is still read as what it is.
  const lie = await d.api('/v1/identify', { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes(photo('appy', '01')) });
  assert.equal(await lie.json(), body);
  const multi = await d.api('/v1/identify', { method: 'POST', body: form([['image', photo('appy', '01')]]) });
  assert.equal(await multi.json(), body);
  // No animal: an empty list, not an error.
  const neg = await d.api('/v1/identify', jpegBody(bytes(join(catsDir, '..', 'negatives', 'fastestdet_0.jpg'))));
  assert.equal((await neg.json()) as unknown, { detections: [] });
});

test('identify errors: non-image, corrupt JPEG, oversized body, no body, wrong method, no/wrong token', async () => {
  assert.is(
    await errorCode(await d.api('/v1/identify', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: 'hello' }), 415),
    'HTTP_UNSUPPORTED_MEDIA',
  );
  assert.is(await errorCode(await d.api('/v1/identify', { method: 'POST', headers: json, body: '{}' }), 415), 'HTTP_UNSUPPORTED_MEDIA');
  const jpeg = bytes(photo('appy', '01'));
  const corrupt = buf(Buffer.concat([jpeg.subarray(0, 600), Buffer.alloc(400, 0x55)]));
  assert.is(await errorCode(await d.api('/v1/identify', jpegBody(corrupt)), 400), 'IMAGE_DECODE_FAILED');
  const big = buf(Buffer.concat([jpeg, Buffer.alloc(2 * 1024 * 1024)]));
  assert.is(await errorCode(await d.api('/v1/identify', jpegBody(big)), 413), 'HTTP_PAYLOAD_TOO_LARGE');
  const bigForm = await d.api('/v1/identify', { method: 'POST', body: form([['image', big, 'big.jpg']]) });
  assert.is(await errorCode(bigForm, 413), 'HTTP_PAYLOAD_TOO_LARGE');
  assert.is(
    await errorCode(await d.api('/v1/identify', { method: 'POST', body: form([['other', jpeg, 'x.jpg']]) }), 400),
    'HTTP_BAD_REQUEST',
  );
  assert.is(await errorCode(await d.api('/v1/identify', { ...jpegBody(jpeg), token: null }), 401), 'HTTP_UNAUTHORIZED');
  assert.is(
    await errorCode(await d.api('/v1/identify', { ...jpegBody(jpeg), token: 'wrong-token-wrong-token' }), 401),
    'HTTP_UNAUTHORIZED',
  );
  assert.is(await errorCode(await d.api('/v1/identify'), 404), 'HTTP_NOT_FOUND');
});

test('compare: similarity and same-pet probability per image; an image without an animal is reported, not fatal', async () => {
  const res = await d.api('/v1/compare', {
    method: 'POST',
    body: form([
      ['anchor', photo('roxy', '01')],
      ['images', photo('roxy', '02')],
      ['images', photo('leo', '01')],
      ['images', join(catsDir, '..', 'negatives', 'fastestdet_0.jpg')],
    ]),
  });
  const body = (await res.json()) as { results: { similarity?: number; probability?: number; error?: { code: string } }[] };
  assert.is(res.status, 200, JSON.stringify(body));
  const [same, other, none] = body.results;
  assert.ok(same!.similarity! > other!.similarity!, JSON.stringify(body));
  assert.ok(same!.probability! > other!.probability!, JSON.stringify(body));
  assert.ok(same!.probability! >= 0 && same!.probability! <= 1);
  assert.is(none!.error!.code, 'NO_ANIMAL');
  assert.is(
    await errorCode(await d.api('/v1/compare', { method: 'POST', body: form([['anchor', photo('roxy', '01')]]) }), 400),
    'HTTP_BAD_REQUEST',
  );
  assert.is(await errorCode(await d.api('/v1/compare', jpegBody(bytes(photo('roxy', '01')))), 415), 'HTTP_UNSUPPORTED_MEDIA');
  const noAnimal = form([
    ['anchor', join(catsDir, '..', 'negatives', 'fastestdet_0.jpg')],
    ['images', photo('roxy', '02')],
  ]);
  assert.is(await errorCode(await d.api('/v1/compare', { method: 'POST', body: noAnimal }), 422), 'NO_ANIMAL');
});

test('pets: create, enrol with per-photo reasons, get, photo jpg, delete photo, delete pet; the matcher and discovery follow', async () => {
  const created = await d.api('/v1/pets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Roxy' }) });
  assert.is(created.status, 201);
  assert.is(((await created.json()) as { id: string }).id, 'roxy');
  assert.is(
    await errorCode(await d.api('/v1/pets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'roxy' }) }), 409),
    'PET_EXISTS',
  );
  assert.is(await errorCode(await d.api('/v1/pets', { method: 'POST', headers: json, body: '{"nom":"x"}' }), 400), 'HTTP_BAD_REQUEST');
  assert.is(await errorCode(await d.api('/v1/pets', { method: 'POST', headers: json, body: '{"name":' }), 400), 'HTTP_BAD_REQUEST');
  const up = await d.api('/v1/pets/roxy/photos', {
    method: 'POST',
    body: form([
      ['photos', photo('roxy', '01')],
      ['photos', photo('roxy', '02')],
      ['photos', photo('roxy', '03')],
      ['photos', join(catsDir, '..', 'multi', 'two_cats_window.jpg')],
      ['photos', join(catsDir, '..', 'negatives', 'fastestdet_0.jpg')],
      ['photos', buf(Buffer.from('not an image')), 'notes.txt'],
    ]),
  });
  const enrol = (await up.json()) as {
    pet: { photos: { id: string; url: string }[] };
    results: { image: string; accepted: boolean; code?: string }[];
  };
  assert.is(up.status, 200, JSON.stringify(enrol));
  assert.equal(
    enrol.results.map((r) => [r.image, r.accepted, r.code ?? null]),
    [
      ['01.jpg', true, null],
      ['02.jpg', true, null],
      ['03.jpg', true, null],
      ['two_cats_window.jpg', false, 'MULTIPLE_ANIMALS'],
      ['fastestdet_0.jpg', false, 'NO_ANIMAL'],
      ['notes.txt', false, 'HTTP_UNSUPPORTED_MEDIA'],
    ],
  );
  assert.is(enrol.pet.photos.length, 3);
  // The running matcher knows Roxy now: no restart.
  const id = (await (await d.api('/v1/identify', jpegBody(bytes(photo('roxy', '04'))))).json()) as { detections: { pet: string }[] };
  assert.is(id.detections[0]!.pet, 'Roxy');
  await ha.until(() => discovery().some((t) => t.includes('roxy')), 10_000, 'discovery of roxy');
  const list = (await (await d.api('/v1/pets')).json()) as { pets: { id: string }[] };
  assert.ok(list.pets.some((p) => p.id === 'roxy'));
  const ph = enrol.pet.photos[0]!;
  const jpg = await d.api(ph.url);
  assert.is(jpg.headers.get('content-type'), 'image/jpeg');
  const jb = Buffer.from(await jpg.arrayBuffer());
  assert.equal([jb[0], jb[1]], [0xff, 0xd8]);
  assert.is((await d.api(`/v1/pets/roxy/photos/${ph.id}`, { method: 'DELETE' })).status, 204);
  assert.is(await errorCode(await d.api(ph.url), 404), 'PHOTO_NOT_FOUND');
  assert.is(((await (await d.api('/v1/pets/roxy')).json()) as { photos: unknown[] }).photos.length, 2);
  // Uploads that are all rejected store nothing and say why.
  const none = await d.api('/v1/pets/roxy/photos', {
    method: 'POST',
    body: form([['p', join(catsDir, '..', 'negatives', 'fastestdet_1.jpg')]]),
  });
  assert.is(await errorCode(none, 422), 'NO_PHOTOS_ENROLLED');
  assert.is((await d.api('/v1/pets/roxy', { method: 'DELETE' })).status, 204);
  assert.is(await errorCode(await d.api('/v1/pets/roxy'), 404), 'PET_NOT_FOUND');
  // Its Home Assistant entities are cleared (empty retained payloads).
  await ha.until(
    () => ha.messages.some((m) => m.topic.startsWith('homeassistant/') && m.topic.includes('roxy') && m.payload.length === 0),
    10_000,
    'roxy entities cleared',
  );
  const after = (await (await d.api('/v1/identify', jpegBody(bytes(photo('roxy', '04'))))).json()) as {
    detections: { pet: string | null }[];
  };
  assert.is(after.detections[0]!.pet, null);
});

test('ids and path tricks never reach the filesystem; unknown ids are 404', async () => {
  for (const path of ['/v1/pets/..%2F..%2Fetc', '/v1/pets/%2Fetc%2Fpasswd', '/v1/pets/a%00b', '/v1/pets/UPPER'])
    assert.is(await errorCode(await d.api(path), 400), 'ID_INVALID', path);
  assert.is(await errorCode(await d.api('/v1/pets/nobody'), 404), 'PET_NOT_FOUND');
  assert.is(await errorCode(await d.api('/v1/pets/nobody/photos/abc.jpg'), 404), 'PET_NOT_FOUND');
  assert.is(await errorCode(await d.api('/v1/visitors/..%2F..%2Fgallery.json/crops/x.jpg'), 400), 'ID_INVALID');
  assert.is(await errorCode(await d.api('/v1/visitors/visitor-1/crops/..%2Fvisitors.json'), 400), 'ID_INVALID');
  assert.is(await errorCode(await d.api('/v1/visitors/visitor-999', { method: 'DELETE' }), 404), 'VISITOR_NOT_FOUND');
  assert.is(await errorCode(await d.api('/v1/sightings/nope.jpg'), 404), 'SIGHTING_NOT_FOUND');
  assert.is(await errorCode(await d.api('/v1/sightings?limit=0'), 400), 'HTTP_BAD_REQUEST');
});

test('concurrent enrolment: two uploads to one pet at once both land, nothing is lost', async () => {
  await d.api('/v1/pets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Leo' }) });
  const up = (n: string[]) => d.api('/v1/pets/leo/photos', { method: 'POST', body: form(n.map((x) => ['p', photo('leo', x)])) });
  const [a, b] = await Promise.all([up(['01', '02']), up(['03', '04'])]);
  assert.is(a.status, 200);
  assert.is(b.status, 200);
  const pet = (await (await d.api('/v1/pets/leo')).json()) as { photos: unknown[] };
  assert.is(pet.photos.length, 4);
  const file = JSON.parse(readFileSync(join(d.gallery, 'gallery.json'), 'utf8')) as { pets: { id: string; photos: unknown[] }[] };
  assert.is(file.pets.find((p) => p.id === 'leo')!.photos.length, 4);
});

test('the clip: sightings with crops, the annotated frame, the event stream, a visitor named as a pet', async () => {
  const events = await d.api('/v1/events');
  assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = events.body!.getReader();
  let sse = '';
  // The clip's cat is not enrolled: it becomes a visitor with crops.
  let visitors: { id: string; crops: { url: string }[] }[] = [];
  for (let i = 0; i < 150 && !visitors.some((v) => v.crops.length > 0); i++) {
    await new Promise((r) => setTimeout(r, 200));
    visitors = ((await (await d.api('/v1/visitors')).json()) as { visitors: typeof visitors }).visitors;
  }
  const v = visitors.find((x) => x.crops.length > 0)!;
  assert.ok(v, 'a visitor with crops');
  const crop = await d.api(v.crops[0]!.url);
  assert.is(crop.headers.get('content-type'), 'image/jpeg');
  const sightings = (
    (await (await d.api('/v1/sightings?limit=5')).json()) as {
      sightings: { type: string; visitor: string | null; snapshot: string | null }[];
    }
  ).sightings;
  assert.ok(sightings.length > 0 && sightings.length <= 5);
  const withSnap = sightings.find((s) => s.snapshot);
  assert.ok(withSnap, JSON.stringify(sightings));
  assert.is((await d.api(withSnap!.snapshot!)).headers.get('content-type'), 'image/jpeg');
  const frame = await d.api('/v1/frame.jpg');
  assert.is(frame.status, 200);
  const fb = Buffer.from(await frame.arrayBuffer());
  assert.equal([fb[0], fb[1]], [0xff, 0xd8]);
  assert.is((await d.api('/v1/frame.jpg?camera=camera')).status, 200, 'the camera by its id');
  assert.is(await errorCode(await d.api('/v1/frame.jpg?camera=attic'), 404), 'CAMERA_NOT_FOUND');
  // Naming the visitor makes it a pet: enrolled from its crops, then named on the clip.
  const named = await d.api(`/v1/visitors/${v.id}/name`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Chair cat' }) });
  const nb = (await named.json()) as { pet: { id: string } };
  assert.is(named.status, 200, JSON.stringify(nb));
  assert.is(nb.pet.id, 'chair_cat');
  assert.is(await errorCode(await d.api(`/v1/visitors/${v.id}`, { method: 'DELETE' }), 404), 'VISITOR_NOT_FOUND');
  const giveUp = setTimeout(() => void reader.cancel(), 60_000);
  while (!/event: seen\ndata: \{[^\n]*"pet_id":"chair_cat"/.test(sse)) {
    const { value, done } = await reader.read();
    if (done) break;
    sse += Buffer.from(value).toString();
  }
  clearTimeout(giveUp);
  assert.match(sse, /event: seen\ndata: \{[^\n]*"pet_id":"chair_cat"/);
  await reader.cancel();
  await ha.until(() => discovery().some((t) => t.includes('chair_cat')), 10_000, 'discovery of chair_cat');
});

test('`gloves enroll` in another process while the daemon runs: reloaded, named, announced', async () => {
  const r = cli(['enroll', '--gallery', d.gallery, '--name', 'Koshka', photo('koshka', '01'), photo('koshka', '02')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  await ha.until(() => discovery().some((t) => t.includes('koshka')), 15_000, 'discovery of koshka');
  const id = (await (await d.api('/v1/identify', jpegBody(bytes(photo('koshka', '03'))))).json()) as { detections: { pet: string }[] };
  assert.is(id.detections[0]!.pet, 'Koshka');
  assert.match(d.daemon.output(), /gallery changed \{"why":"gallery file changed"/);
});

test.run();

/**
 * Registry to device, the device side, end to end: `gloves run` on the shared clip with an HTTP API and a trusted key;
 * bundles built by the trainer's own code and pushed by `gloves-trainer push` (a real process, over real HTTP).
 * A good bundle swaps in with frames still flowing (no gap over 1 s) and its version is announced, retained, on MQTT;
 * tampered, unsigned and untrusted bundles, and one that fails its smoke test, are refused with the running models
 * untouched; `gloves models versions|activate|rollback` work against the running daemon; a daemon killed during
 * probation rolls back by itself at its next start and says why; an embedder change re-embeds the gallery and the visitors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealBundle } from '../../calibration/src/bundle/seal.js';
import type { BundleDoc } from '../../daemon/src/models/bundle.js';
import { catsDir, cliPath, repoRoot } from '../helpers/paths.js';
import { embedderManifest, makeBundle, makeKey, yoloxManifest } from '../helpers/bundles.js';
import { record, type Recorder } from '../daemon/support/subscriber.js';
import { startHttpDaemon, TOKEN, type HttpDaemon } from '../http/support/http-daemon.js';

const tmp = mkdtempSync(join(tmpdir(), 'gloves-swap-'));
const trainer = join(repoRoot, 'dist', 'calibration', 'src', 'cli', 'main.js');
const trusted = makeKey(join(tmp, 'trusted'));
const stranger = makeKey(join(tmp, 'stranger'));
const photo = (cat: string, n: string): string => join(catsDir, cat, `${n}.jpg`);

let d: HttpDaemon;
/** The daemon started again after the SIGKILL (it shares d's broker: stopping it leaves the broker to d). */
let restarted: HttpDaemon | null = null;
let mq: Recorder;
const env = (): NodeJS.ProcessEnv => ({
  GLOVES_MODELS__TRUSTED_KEYS: JSON.stringify([trusted.publicPath]),
  GLOVES_MODELS__PROBATION_MINUTES: '5',
});

/** `gloves-trainer push` as a separate process, run without blocking the test's event loop (the daemon is a child too). */
function push(bundle: string, token = TOKEN): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [trainer, 'push', '--device', d.url, '--bundle', bundle, '--token', token], { cwd: repoRoot });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const gloves = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GLOVES_DEVICE__STATE_DIR: join(d.dir, 'state'), GLOVES_HTTP__LISTEN: d.url.replace('http://', ''), GLOVES_HTTP__TOKEN: TOKEN },
  });

async function models(): Promise<{ active: string | null; previous: string | null; probation_until: string | null; embedder: string }> {
  return (await (await d.api('/v1/models')).json()) as never;
}

const framesTotal = async (): Promise<number> => {
  const text = await (await d.api('/metrics')).text();
  return [...text.matchAll(/^gloves_frames_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
};

test.before(async () => {
  d = await startHttpDaemon({ env: env() });
  mq = await record(d.broker.url, [`gloves/${d.device}/model`, `gloves/${d.device}/model/events`]);
});
test.after(async () => {
  await mq?.close();
  await restarted?.stop();
  await d?.stop();
});

let good = '';
let goodVersion = '';

test('a signed bundle is pushed and swapped in while frames keep flowing; its version is retained on MQTT', async () => {
  good = join(tmp, 'good');
  await makeBundle(good, trusted, { models: [yoloxManifest, embedderManifest], name: 'good' });
  assert.is((await models()).active, null, 'built-in models first');
  // Sample the frame counter every 100 ms through the push: the longest stretch without a new frame must stay under 1 s.
  let sampling = true;
  let lastChange = Date.now();
  let last = await framesTotal();
  let longest = 0;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, 100));
      const n = await framesTotal();
      const now = Date.now();
      if (n !== last) {
        longest = Math.max(longest, now - lastChange);
        lastChange = now;
        last = n;
      }
    }
  })();
  const r = await push(good);
  await new Promise((res) => setTimeout(res, 1500));
  sampling = false;
  await sampler;
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /version [0-9a-f]{12} \(good\) active, on probation until/);
  const m = await models();
  goodVersion = m.active!;
  assert.match(goodVersion, /^[0-9a-f]{12}$/);
  assert.is(m.previous, null);
  assert.ok(m.probation_until, 'on probation');
  assert.ok(longest < 1000, `frames stopped for ${longest} ms during the swap`);
  await mq.until(() => mq.text(`gloves/${d.device}/model`).some((t) => t.includes(goodVersion)), 5_000, 'retained model version');
  assert.ok(mq.last(`gloves/${d.device}/model`)!.retain || mq.messages.length > 0);
  // Identification still works on the new models.
  const id = await d.api('/v1/identify', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(photo('leo', '01')) });
  assert.is(id.status, 200);
});

test('tampered, unsigned and untrusted bundles, and one failing its smoke test, are refused; the active version stays', async () => {
  const before = (await models()).active;
  const variant = (name: string): string => {
    const dir = join(tmp, name);
    cpSync(good, dir, { recursive: true });
    return dir;
  };
  const tampered = variant('tampered');
  const doc = JSON.parse(readFileSync(join(tampered, 'bundle.json'), 'utf8')) as BundleDoc;
  writeFileSync(join(tampered, 'bundle.json'), JSON.stringify({ ...doc, name: 'evil' }));
  const unsigned = join(tmp, 'unsigned');
  await makeBundle(unsigned, undefined, { name: 'unsigned' });
  const untrusted = join(tmp, 'untrusted');
  await makeBundle(untrusted, stranger, { name: 'untrusted' });
  // Signed by the trusted key, but its models do not reproduce its reference outputs (as a broken export would not).
  const garbage = join(tmp, 'garbage');
  await makeBundle(garbage, trusted, { name: 'garbage' });
  const gdoc = JSON.parse(readFileSync(join(garbage, 'bundle.json'), 'utf8')) as BundleDoc;
  const { format: _f, version: _v, createdAt: _c, ...draft } = gdoc;
  draft.reference.embedder!.embedding = draft.reference.embedder!.embedding.map((x, i) => (i % 2 === 0 ? -x : x));
  await sealBundle(garbage, { ...draft, files: draft.files.map((f) => ({ path: f.path, role: f.role })) }, trusted.key);
  const cases: [string, RegExp][] = [
    [tampered, /BUNDLE_BAD_SIGNATURE/],
    [unsigned, /BUNDLE_UNSIGNED/],
    [untrusted, /BUNDLE_UNTRUSTED_KEY/],
    [garbage, /MODEL_SMOKE_FAILED.*cosine/],
  ];
  for (const [dir, code] of cases) {
    const r = await push(dir);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, code, r.out);
    assert.is((await models()).active, before, `${dir} left the active version alone`);
  }
  const rejected = mq.json<{ type: string; code?: string }>(`gloves/${d.device}/model/events`).filter((e) => e.type === 'rejected');
  assert.equal(
    rejected.map((e) => e.code),
    ['BUNDLE_BAD_SIGNATURE', 'BUNDLE_UNSIGNED', 'BUNDLE_UNTRUSTED_KEY', 'MODEL_SMOKE_FAILED'],
  );
  assert.match(d.daemon.output(), /model bundle rejected: .*which is not trusted/);
  const wrongToken = await push(good, 'not-the-token-000000000');
  assert.is(wrongToken.code, 1);
  assert.match(wrongToken.out, /HTTP_UNAUTHORIZED/);
});

test('gloves models versions, rollback and activate against the running daemon', async () => {
  let r = gloves('models', 'versions');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${goodVersion}\\tgood\\t.*active, on probation`));
  r = gloves('models', 'rollback');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /version builtin \(built-in\) active; previous [0-9a-f]{12}/);
  assert.is((await models()).active, null);
  r = gloves('models', 'activate', goodVersion);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is((await models()).active, goodVersion);
  r = gloves('models', 'activate', 'abcdefabcdef');
  assert.is(r.status, 1);
  assert.match(r.stderr, /MODEL_VERSION_NOT_FOUND/);
});

test('killed during probation: the next start rolls back by itself, and says why in the log and on MQTT', async () => {
  assert.ok((await models()).probation_until, 'still on probation');
  d.daemon.child.kill('SIGKILL');
  await d.daemon.exited();
  const broker = d.broker;
  const again = await startHttpDaemon({ env: env(), broker, gallery: d.gallery, device: d.device, stateDir: join(d.dir, 'state') });
  restarted = again;
  d.daemon = again.daemon;
  d.url = again.url;
  d.api = again.api;
  const m = await models();
  assert.is(m.active, null, 'back on the built-in models');
  assert.is(m.previous, goodVersion);
  assert.match(again.daemon.output(), /was on probation and the daemon stopped without a clean stop/);
  await mq.until(
    () => mq.json<{ type: string; reason?: string }>(`gloves/${d.device}/model/events`).some((e) => e.type === 'rollback' && /probation/.test(e.reason ?? '')),
    10_000,
    'a rollback event on MQTT',
  );
});

test('an embedder change re-embeds the gallery before the swap and the visitors after it: the enrolled cat is still named', async () => {
  const pet = await d.api('/v1/pets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Leo' }) });
  assert.is(pet.status, 201, await pet.text());
  const form = new FormData();
  for (const n of ['01', '02', '03', '04']) form.append('photos', new Blob([readFileSync(photo('leo', n))]), `${n}.jpg`);
  assert.is((await d.api('/v1/pets/leo/photos', { method: 'POST', body: form })).status, 200);
  // Another embedder: the same network, crops letterboxed instead of stretched, under its own name (its own embedding space).
  const alt = JSON.parse(readFileSync(embedderManifest, 'utf8')) as Record<string, unknown> & { preprocess: Record<string, unknown> };
  const altManifest = join(tmp, 'mobilenetv2-letterbox.json');
  writeFileSync(altManifest, JSON.stringify({ ...alt, name: 'mobilenetv2-letterbox', preprocess: { ...alt.preprocess, resize: 'letterbox' } }));
  const bundle = join(tmp, 'alt');
  await makeBundle(bundle, trusted, { models: [altManifest], name: 'letterbox' });
  // The clip's cat, never enrolled, is a visitor with crops by now (or soon): it must survive the embedder change.
  type Visitors = { visitors: { id: string; crops: unknown[] }[] };
  let before: Visitors = { visitors: [] };
  for (let i = 0; i < 100 && !before.visitors.some((v) => v.crops.length > 0); i++) {
    await new Promise((res) => setTimeout(res, 300));
    before = (await (await d.api('/v1/visitors')).json()) as Visitors;
  }
  assert.ok(before.visitors.some((v) => v.crops.length > 0), 'a visitor with crops before the swap');
  const r = await push(bundle);
  assert.is(r.code, 0, r.out);
  assert.match((await models()).embedder, /^mobilenetv2-letterbox@/);
  const kept = JSON.parse(readFileSync(join(d.gallery, 'visitors', 'visitors.json'), 'utf8')) as {
    embedderModelId: string;
    visitors: { id: string }[];
  };
  assert.match(kept.embedderModelId, /^mobilenetv2-letterbox@/);
  for (const v of before.visitors.filter((x) => x.crops.length > 0))
    assert.ok(
      kept.visitors.some((k) => k.id === v.id),
      `${v.id} kept through the embedder change`,
    );
  assert.match(d.daemon.output(), /re-embedded \d+ visitor crop\(s\) with mobilenetv2-letterbox@/);
  const gallery = JSON.parse(readFileSync(join(d.gallery, 'gallery.json'), 'utf8')) as { embedderModelId: string };
  assert.match(gallery.embedderModelId, /^mobilenetv2-letterbox@/);
  assert.match(d.daemon.output(), /re-embedded 4 photo\(s\) with mobilenetv2-letterbox@/);
  const id = await d.api('/v1/identify', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(photo('leo', '06')) });
  const body = (await id.json()) as { detections: { pet: string | null }[] };
  assert.is(body.detections[0]?.pet, 'Leo', JSON.stringify(body));
});

test.run();

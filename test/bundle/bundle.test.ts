/**
 * Bundles: keygen, bundle (trainer CLI), `gloves models verify` on a directory and a .tar, and every reason a
 * bundle is refused: unsigned, bad signature, untrusted key, hash mismatch, missing file, unsafe archives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { packBundleToBuffer, unpackBundle } from '../../daemon/src/models/bundle-archive.js';
import { verifyBundleDir, type BundleDoc } from '../../daemon/src/models/bundle.js';
import { readPublicKey } from '../../daemon/src/models/bundle-sign.js';
import { hasCode } from '../../daemon/src/errors.js';
import { checkReference } from '../../daemon/src/recognition/index.js';
import { cliPath, repoRoot, requireFixtures } from '../helpers/paths.js';
import { embedderManifest, makeKey, referenceFrame, yoloxManifest } from '../helpers/bundles.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-bundle-'));
const trainerPath = join(repoRoot, 'dist', 'calibration', 'src', 'cli', 'main.js');
const run = (bin: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
const keys = join(tmp, 'keys');
const good = join(tmp, 'good');
const other = makeKey(join(tmp, 'other'));

function copyOf(name: string): string {
  const dir = join(tmp, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

function verify(target: string, ...pubs: string[]) {
  return run(cliPath, 'models', 'verify', target, ...pubs.flatMap((p) => ['--trusted-key', p]));
}

test('keygen writes a 0600 private key and a public key, and refuses to overwrite them', () => {
  const r = run(trainerPath, 'keygen', '--out', keys);
  assert.is(r.status, 0, r.stderr);
  assert.is(statSync(join(keys, 'gloves-signing.key')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(keys, 'gloves-signing.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
  const again = run(trainerPath, 'keygen', '--out', keys);
  assert.is(again.status, 1);
  assert.match(again.stderr, /SIGNING_KEY_INVALID.*already exists/);
});

test('bundle builds a signed bundle that pins every file and records reference outputs', () => {
  const r = run(trainerPath, 'bundle', '--model', yoloxManifest, '--model', embedderManifest, '--reference', referenceFrame);
  assert.is(r.status, 2, 'missing --key/--out is a usage error');
  const ok = run(
    trainerPath,
    'bundle',
    '--model',
    yoloxManifest,
    '--model',
    embedderManifest,
    '--reference',
    referenceFrame,
    '--key',
    join(keys, 'gloves-signing.key'),
    '--out',
    good,
  );
  assert.is(ok.status, 0, ok.stderr);
  const doc = JSON.parse(readFileSync(join(good, 'bundle.json'), 'utf8')) as BundleDoc;
  assert.equal(doc.models.map((m) => m.task).sort(), ['detector', 'embedder']);
  assert.ok(doc.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));
  assert.ok(
    doc.reference.detector!.detections.some((d) => d.label === 'cat' && d.score > 0.5),
    'the reference photo shows a cat',
  );
  assert.is(doc.reference.embedder!.embedding.length, 1280);
  assert.match(doc.embedderId, /^mobilenetv2-12-int8_pooled@/);
});

test('verify accepts the bundle (directory and .tar) with the right key', async () => {
  const r = verify(good, join(keys, 'gloves-signing.pub'));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^OK: bundle/);
  const doc = JSON.parse(readFileSync(join(good, 'bundle.json'), 'utf8')) as BundleDoc;
  const tarFile = join(tmp, 'good.tar');
  writeFileSync(
    tarFile,
    await packBundleToBuffer(
      good,
      doc.files.map((f) => f.path),
    ),
  );
  const t = verify(tarFile, other.publicPath, join(keys, 'gloves-signing.pub'));
  assert.is(t.status, 0, t.stdout + t.stderr);
});

test('verify names each reason a bundle is refused (exit 1)', () => {
  const pub = join(keys, 'gloves-signing.pub');
  const unsigned = copyOf('unsigned');
  unlinkSync(join(unsigned, 'bundle.sig'));
  const edited = copyOf('edited');
  const doc = JSON.parse(readFileSync(join(edited, 'bundle.json'), 'utf8')) as BundleDoc;
  doc.reference.tolerance.cosine = 0;
  writeFileSync(join(edited, 'bundle.json'), JSON.stringify(doc, null, 2));
  const tampered = copyOf('tampered');
  appendFileSync(join(tampered, 'reference', 'frame.jpg'), 'x');
  const missing = copyOf('missing');
  unlinkSync(join(missing, 'reference', 'frame.jpg'));
  const cases: [string, string, string][] = [
    [unsigned, pub, 'unsigned'],
    [edited, pub, 'bad signature'],
    [good, other.publicPath, 'untrusted key'],
    [tampered, pub, 'hash mismatch'],
    [missing, pub, 'missing file'],
  ];
  for (const [dir, key, reason] of cases) {
    const r = verify(dir, key);
    assert.is(r.status, 1, `${reason}: ${r.stdout}${r.stderr}`);
    assert.ok(r.stdout.startsWith(`REJECTED (${reason})`), `${reason}: ${r.stdout}`);
  }
});

test('the library reports the same reasons as stable codes', () => {
  const trusted = [readPublicKey(join(keys, 'gloves-signing.pub'))];
  assert.is(verifyBundleDir(good, trusted).manifests.length, 2);
  try {
    verifyBundleDir(
      good,
      [other].map((k) => readPublicKey(k.publicPath)),
    );
    assert.unreachable();
  } catch (e) {
    assert.ok(hasCode(e, 'BUNDLE_UNTRUSTED_KEY'));
  }
});

test('archives that escape their folder or hold links are refused before anything is written', async () => {
  const evil = join(tmp, 'evil');
  cpSync(good, evil, { recursive: true });
  symlinkSync('/etc/passwd', join(evil, 'link'));
  const linkTar = join(tmp, 'link.tar');
  await tar.create({ cwd: evil, file: linkTar }, ['bundle.json', 'link']);
  const dest = join(tmp, 'unpacked-link');
  try {
    await unpackBundle(linkTar, dest);
    assert.unreachable();
  } catch (e) {
    assert.ok(hasCode(e, 'BUNDLE_ARCHIVE_UNSAFE'), String(e));
    assert.match((e as Error).message, /SymbolicLink/);
  }
  assert.not.ok(existsSync(dest), 'nothing written');
  const dotTar = join(tmp, 'dot.tar');
  await tar.create({ cwd: join(evil, 'models'), file: dotTar, preservePaths: true }, ['../bundle.json']);
  try {
    await unpackBundle(dotTar, join(tmp, 'unpacked-dot'));
    assert.unreachable();
  } catch (e) {
    assert.ok(hasCode(e, 'BUNDLE_ARCHIVE_UNSAFE'), String(e));
    assert.match((e as Error).message, /leaves the bundle/);
  }
  const r = verify(linkTar, join(keys, 'gloves-signing.pub'));
  assert.is(r.status, 1);
  assert.match(r.stdout, /^REJECTED \(unsafe archive\)/);
});

test('checkReference: agreement passes, a shifted box, a lost detection, NaN and a far embedding fail', () => {
  const tol = { score: 0.1, iou: 0.85, cosine: 0.95 };
  const th = { reference: 0.3, device: 0.3 };
  const cat = { label: 'cat' as const, score: 0.8, box: [10, 10, 110, 110] as [number, number, number, number] };
  const emb = { region: [0, 0, 200, 200] as [number, number, number, number], embedding: [1, 0, 0] };
  const expected = { detector: { detections: [cat] }, embedder: emb };
  assert.equal(checkReference(expected, { detector: { detections: [{ ...cat, score: 0.78 }] }, embedder: emb }, tol, th), []);
  assert.is(
    checkReference(expected, { detector: { detections: [{ ...cat, box: [40, 40, 140, 140] }] }, embedder: emb }, tol, th).length,
    2,
  );
  assert.match(checkReference(expected, { detector: { detections: [] }, embedder: emb }, tol, th)[0]!, /not found/);
  assert.match(
    checkReference(expected, { detector: { detections: [cat] }, embedder: { ...emb, embedding: [NaN, 0, 0] } }, tol, th)[0]!,
    /non-finite/,
  );
  assert.match(
    checkReference(expected, { detector: { detections: [cat] }, embedder: { ...emb, embedding: [0, 1, 0] } }, tol, th)[0]!,
    /cosine/,
  );
  // A weak expected detection below the device's threshold (+ margin) need not be found.
  const weak = { ...cat, score: 0.35 };
  assert.equal(
    checkReference({ detector: { detections: [weak] } }, { detector: { detections: [] } }, tol, { reference: 0.3, device: 0.5 }),
    [],
  );
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

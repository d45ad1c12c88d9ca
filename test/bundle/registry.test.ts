/**
 * gloves-trainer pull/publish against the loopback MLflow-protocol server (test/helpers/mlflow.ts): by alias,
 * stage and version; every error (unknown model/alias, no READY version, 401, 403, proxy off, truncated
 * download, not a model); a download interrupted half way resumed with Range; publish then pull back,
 * byte-identical; auth basic and bearer; paginated listings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode, type ErrorCode } from '../../daemon/src/errors.js';
import { verifyBundleDir, type BundleDoc } from '../../daemon/src/models/bundle.js';
import { readPublicKey } from '../../daemon/src/models/bundle-sign.js';
import { MlflowClient } from '../../calibration/src/registry/client.js';
import { silentProgress } from '../../calibration/src/registry/progress.js';
import { pull } from '../../calibration/src/registry/pull.js';
import { publish } from '../../calibration/src/registry/publish.js';
import type { VersionSelector } from '../../calibration/src/registry/resolve.js';
import { MockMlflow } from '../helpers/mlflow.js';
import { makeBundle, makeKey, referenceFrame } from '../helpers/bundles.js';
import { requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-registry-'));
const key = makeKey(join(tmp, 'key'));
const bundleDir = join(tmp, 'bundle');
const fast = { attempts: 4, baseDelayMs: 20 };
let files: Record<string, Buffer> = {};
let n = 0;

function readTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile()) out[join(f.parentPath, f.name).slice(dir.length + 1)] = readFileSync(join(f.parentPath, f.name));
  return out;
}

function doPull(server: MockMlflow, model: string, selector: VersionSelector, auth = {}) {
  const out = join(tmp, `pull-${++n}`);
  return {
    out,
    run: () => pull({ client: new MlflowClient(server.url, auth, fast), model, selector, out, progress: silentProgress, retry: fast }),
  };
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(hasCode(e, code), `expected ${code}, got ${(e as { code?: string }).code}: ${(e as Error).message}`);
    if (message) assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test.before(async () => {
  await makeBundle(bundleDir, key);
  files = readTree(bundleDir);
});

test('pull by alias, stage and version fetches the bundle byte for byte; it still verifies', async () => {
  const s = new MockMlflow({ pageSize: 2 });
  await s.start();
  try {
    s.addVersion('cats', files, { stage: 'Production', aliases: ['old'] });
    s.addVersion('cats', files, { stage: 'Staging', aliases: ['champion'] });
    for (const sel of [{ alias: 'champion' }, { stage: 'Production' }, { version: '2' }] as VersionSelector[]) {
      const p = doPull(s, 'cats', sel);
      const res = await p.run();
      assert.is(res.kind, 'bundle');
      assert.equal(readTree(p.out), files, `pull ${JSON.stringify(sel)} is byte-identical`);
      verifyBundleDir(p.out, [readPublicKey(key.publicPath)]);
    }
    assert.ok(s.requests.filter((r) => r.includes('artifacts/list')).length > 2, 'the listing was paginated');
  } finally {
    await s.stop();
  }
});

test('only READY versions: a pending latest in a stage falls back to the newest READY one; none is an error', async () => {
  const s = new MockMlflow();
  await s.start();
  try {
    s.addVersion('cats', files, { stage: 'Production' });
    s.addVersion('cats', files, { stage: 'Production', status: 'PENDING_REGISTRATION', aliases: ['next'] });
    const res = await doPull(s, 'cats', { stage: 'Production' }).run();
    assert.is(res.version.version, '1');
    await expectCode(doPull(s, 'cats', { alias: 'next' }).run(), 'REGISTRY_NO_READY_VERSION', /PENDING_REGISTRATION/);
    await expectCode(doPull(s, 'cats', { stage: 'Staging' }).run(), 'REGISTRY_NO_READY_VERSION', /no version in stage Staging/);
    await expectCode(doPull(s, 'dogs', { alias: 'x' }).run(), 'REGISTRY_NOT_FOUND', /no registered model named "dogs"/);
    await expectCode(doPull(s, 'cats', { alias: 'nope' }).run(), 'REGISTRY_NOT_FOUND', /no alias "nope" \(aliases: next -> 2\)/);
    await expectCode(doPull(s, 'cats', { version: '9' }).run(), 'REGISTRY_NOT_FOUND', /no version 9/);
  } finally {
    await s.stop();
  }
});

test('auth: basic and bearer pass; missing credentials are 401, a forbidden user 403', async () => {
  const basic = new MockMlflow({ auth: { username: 'ml', password: 'pw' }, forbidden: ['guest'] });
  const bearer = new MockMlflow({ auth: { token: 'tok' } });
  await basic.start();
  await bearer.start();
  try {
    basic.addVersion('cats', files, { aliases: ['champion'] });
    bearer.addVersion('cats', files, { aliases: ['champion'] });
    await doPull(basic, 'cats', { alias: 'champion' }, { username: 'ml', password: 'pw' }).run();
    await doPull(bearer, 'cats', { alias: 'champion' }, { token: 'tok' }).run();
    assert.ok(bearer.requests.length > 0);
    await expectCode(doPull(basic, 'cats', { alias: 'champion' }).run(), 'REGISTRY_AUTH', /401.*MLFLOW_TRACKING_USERNAME/);
    await expectCode(doPull(bearer, 'cats', { alias: 'champion' }, { token: 'wrong' }).run(), 'REGISTRY_AUTH', /401/);
    await expectCode(doPull(basic, 'cats', { alias: 'champion' }, { username: 'guest', password: 'pw' }).run(), 'REGISTRY_AUTH', /403/);
  } finally {
    await basic.stop();
    await bearer.stop();
  }
});

test('a server without the artifact proxy (503) is named at once, not retried', async () => {
  const s = new MockMlflow({ serveArtifacts: false });
  await s.start();
  try {
    s.addVersion('cats', files, { aliases: ['champion'] });
    await expectCode(doPull(s, 'cats', { alias: 'champion' }).run(), 'REGISTRY_PROXY_DISABLED', /does not serve artifacts/);
    assert.is(s.requests.filter((r) => r.includes('mlflow-artifacts')).length, 1);
  } finally {
    await s.stop();
  }
});

test('an interrupted download resumes with Range; a connection that always drops is DOWNLOAD_TRUNCATED; 500s are retried', async () => {
  const s = new MockMlflow();
  await s.start();
  try {
    const v = s.addVersion('cats', files, { aliases: ['champion'] });
    const model = Object.keys(files).find((f) => f.endsWith('.onnx'))!;
    const proxyKey = `${v.source.replace('mlflow-artifacts:/', '')}/${model}`;
    s.truncate.set(proxyKey, 'once');
    s.failNext = { count: 2, status: 500 };
    const p = doPull(s, 'cats', { alias: 'champion' });
    await p.run();
    assert.equal(readTree(p.out), files);
    const half = Math.floor(files[model]!.length / 2);
    assert.ok(
      s.requests.some((r) => r.endsWith(`${model} bytes=${half}-`)),
      `resumed from byte ${half}: ${s.requests.filter((r) => r.includes(model))}`,
    );
    s.truncate.set(proxyKey, 'always');
    const q = doPull(s, 'cats', { alias: 'champion' });
    await expectCode(q.run(), 'DOWNLOAD_TRUNCATED', /run the same command again to resume/);
    // The partial file stays: once the link is good again, the next run finishes it.
    s.truncate.delete(proxyKey);
    await q.run();
    assert.equal(readTree(q.out), files);
  } finally {
    await s.stop();
  }
});

test('a version that is not a Gloves model is refused naming what it holds; a raw model is bundled and signed', async () => {
  const s = new MockMlflow();
  await s.start();
  try {
    s.addVersion('sk', { MLmodel: Buffer.from('flavors: {}\n'), 'model.pkl': Buffer.from('x') }, { aliases: ['a'] });
    await expectCode(doPull(s, 'sk', { alias: 'a' }).run(), 'ARTIFACT_NOT_A_MODEL', /holds: MLmodel, model\.pkl/);
    const manifest = Object.keys(files).find((f) => f.startsWith('models/') && f.endsWith('.json'))!;
    const onnx = Object.keys(files).find((f) => f.endsWith('.onnx'))!;
    s.addVersion('raw', { MLmodel: Buffer.from('flavors: {}\n'), [manifest]: files[manifest]!, [onnx]: files[onnx]! }, { aliases: ['a'] });
    const p = doPull(s, 'raw', { alias: 'a' });
    const res = await pull({
      client: new MlflowClient(s.url, {}, fast),
      model: 'raw',
      selector: { alias: 'a' },
      out: p.out,
      key: key.key,
      reference: referenceFrame,
      progress: silentProgress,
      retry: fast,
    });
    assert.is(res.kind, 'model');
    const b = verifyBundleDir(p.out, [readPublicKey(key.publicPath)]);
    assert.equal(b.doc.source, { registry: s.url, model: 'raw', version: '1', runId: res.version.run_id! });
  } finally {
    await s.stop();
  }
});

test('publish creates a run with the files, metrics and params, a READY version and the alias; pulled back byte-identical', async () => {
  const s = new MockMlflow({ pendingPolls: 2, auth: { token: 't' } });
  await s.start();
  try {
    const client = new MlflowClient(s.url, { token: 't' }, fast);
    const res = await publish({
      client,
      model: 'cats-int8',
      bundleDir,
      alias: 'fleet',
      experiment: 'gloves-bundles',
      progress: silentProgress,
      pollMs: 10,
    });
    assert.is(res.version.status, 'READY');
    const run = s.runs.get(res.runId)!;
    assert.is(run.info.status, 'FINISHED');
    assert.ok(run.data.params.some((p) => p.key === 'gloves.embedder_id'));
    const p = doPull(s, 'cats-int8', { alias: 'fleet' }, { token: 't' });
    await p.run();
    assert.equal(readTree(p.out), files);
  } finally {
    await s.stop();
  }
});

test('reportMetrics: the numeric leaves of a report, dotted', async () => {
  const { reportMetrics } = await import('../../calibration/src/registry/publish.js');
  assert.equal(reportMetrics({ recall: { drop: 0.004, fp32: 0.9 }, passed: true, name: 'x' }), [
    { key: 'recall.drop', value: 0.004 },
    { key: 'recall.fp32', value: 0.9 },
    { key: 'passed', value: 1 },
  ]);
  const doc = JSON.parse(readFileSync(join(bundleDir, 'bundle.json'), 'utf8')) as BundleDoc;
  assert.ok(doc.files.length > 0);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

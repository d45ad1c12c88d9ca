/**
 * The model manager's probation, on its own: a frame loop that stops while the camera delivers rolls back to the
 * previous version (here the built-in models) and says why; a camera outage is not a stall. The recognition holder is
 * a stand-in (the swap itself is covered end to end by hot-swap.test.ts); the store and the bundle are real.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../daemon/src/log/logger.js';
import { readPublicKey } from '../../daemon/src/models/bundle-sign.js';
import { verifyBundleDir, versionId } from '../../daemon/src/models/bundle.js';
import { ModelStore } from '../../daemon/src/models/store.js';
import { ModelManager, type ModelNotices } from '../../daemon/src/runtime/model-manager.js';
import { makeBundle, makeKey } from '../helpers/bundles.js';
import { requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-probation-'));
const key = makeKey(join(tmp, 'key'));
let version = '';
let bundleDir = '';

/** Stands in for RecognitionService: one embedder id, candidates that open and swap at once. */
function holder() {
  const recognizer = () => ({ embedder: { modelId: 'm@1' }, gallery: { embedderModelId: 'm@1', pets: () => [] }, dispose: async () => {} });
  const swaps: unknown[] = [];
  return {
    swaps,
    started: true,
    embedder: { modelId: 'm@1' },
    select: () => {},
    openCandidate: async () => recognizer(),
    swap: (_next: unknown, source: unknown) => (swaps.push(source), recognizer()),
  };
}

function manager(storeDir: string, cameraUp: () => boolean) {
  const store = new ModelStore(storeDir);
  const verified = verifyBundleDir(bundleDir, [readPublicKey(key.publicPath)]);
  store.add(verified, version);
  // The pushed version is active and on probation, as a swap leaves it.
  store.write({
    active: version,
    previous: null,
    probation: { version, until: new Date(Date.now() + 60_000).toISOString(), pid: process.pid, cleanStop: false },
    history: [],
  });
  const events: Parameters<ModelNotices['event']>[0][] = [];
  const rec = holder();
  const m = new ModelManager(
    {
      recognition: rec as never,
      store,
      notices: { active: () => {}, event: (e) => events.push(e) },
      framesDone: () => 42,
      cameraDelivering: cameraUp,
      reembedVisitors: async () => 0,
      minScore: 0.3,
    },
    { manifestDir: 'models', dir: '.models', detector: 'd', embedder: 'e', trustedKeys: [key.publicPath], probationMinutes: 1, stallSeconds: 1 },
    createLogger('test', { level: 'silent' }),
  );
  return { m, store, events, rec };
}

test.before(async () => {
  bundleDir = join(tmp, 'bundle');
  await makeBundle(bundleDir, key);
  version = versionId(verifyBundleDir(bundleDir, [readPublicKey(key.publicPath)]).digest);
});

test('frames stop while the camera delivers: rolled back to the previous version, with the reason', async () => {
  const { m, store, events, rec } = manager(join(tmp, 'store-stall'), () => true);
  m.boot();
  m.start();
  for (let i = 0; i < 40 && store.read().active !== null; i++) await new Promise((r) => setTimeout(r, 100));
  m.stop();
  const state = store.read();
  assert.is(state.active, null, 'back on the built-in models');
  assert.is(state.previous, version);
  assert.is(state.probation, null);
  assert.is(rec.swaps.length, 1);
  const rollback = events.find((e) => e.type === 'rollback');
  assert.ok(rollback, JSON.stringify(events));
  assert.match(rollback!.reason!, /frame loop stalled for 1 s during probation/);
});

test('no frames while the camera is down is not a stall: the version stays', async () => {
  const { m, store, events } = manager(join(tmp, 'store-outage'), () => false);
  m.boot();
  m.start();
  await new Promise((r) => setTimeout(r, 2500));
  m.stop();
  assert.is(store.read().active, version);
  assert.is(store.read().probation?.cleanStop, true, 'a clean stop keeps the probation for the next start');
  assert.not.ok(events.some((e) => e.type === 'rollback'));
});

test.run();

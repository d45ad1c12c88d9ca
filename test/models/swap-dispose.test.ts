/**
 * The models a hot swap replaces (runtime/recognition-service.ts): disposed
 * DISPOSE_AFTER_MS after the swap (the frame in flight still holds them), and
 * at once by a stop inside that window, which used to leave them (and, with
 * inference.detectorWorker, their worker thread) behind. Real models on
 * onnxruntime, the detector in a worker as the option runs it.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import type { GlovesError } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { Recognizer } from '../../daemon/src/recognition/index.js';
import { DISPOSE_AFTER_MS, RecognitionService } from '../../daemon/src/runtime/recognition-service.js';
import { SystemdNotifier } from '../../daemon/src/systemd/notify.js';
import { requireFixtures } from '../helpers/paths.js';

requireFixtures();
const threadCount = () => readdirSync('/proc/self/task').length;
const settle = () => new Promise((r) => setTimeout(r, 300));
const frame = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3) };
/** What the old detector answers now: 'ok' while it still runs, else the error's code. */
const detectorState = (r: Recognizer): Promise<string> =>
  r.detector.detect(frame).then(
    () => 'ok',
    (e: GlovesError) => e.code,
  );

function service(): RecognitionService {
  const config = loadConfig({
    overrides: { inference: { threads: 1, detectorWorker: true }, 'gallery.dir': mkdtempSync(join(tmpdir(), 'gloves-swap-dispose-')) },
  });
  const log = silentLogger();
  return new RecognitionService(config, log, new SystemdNotifier({}, log));
}

/** Starts a service and swaps a second copy of its models in; returns the models swapped out. */
async function swapped(s: RecognitionService): Promise<Recognizer> {
  await s.start();
  const old = { detector: s.detector } as Recognizer;
  s.swap(await s.openCandidate({ files: {} }), { files: {} });
  assert.is.not(s.detector, old.detector, 'the candidate is active');
  return old;
}

test('a stop within DISPOSE_AFTER_MS of a swap disposes the swapped-out models and their worker', async () => {
  // A first cycle: whatever the process creates once (libuv, onnxruntime globals) is then there already.
  const warm = service();
  await warm.start();
  await warm.stop();
  await settle();
  const before = threadCount();
  const s = service();
  const old = await swapped(s);
  assert.is(await detectorState(old), 'ok', 'still usable by the frame in flight');
  await s.stop();
  assert.is(await detectorState(old), 'SESSION_DISPOSED');
  await settle();
  assert.is(threadCount(), before, 'no worker thread left behind');
});

test('without a stop, the swapped-out models are disposed DISPOSE_AFTER_MS after the swap', async () => {
  const s = service();
  try {
    const old = await swapped(s);
    await new Promise((r) => setTimeout(r, DISPOSE_AFTER_MS / 2));
    assert.is(await detectorState(old), 'ok', 'kept for the frame in flight');
    await new Promise((r) => setTimeout(r, DISPOSE_AFTER_MS / 2 + 500));
    assert.is(await detectorState(old), 'SESSION_DISPOSED');
  } finally {
    await s.stop();
  }
});

test.run();

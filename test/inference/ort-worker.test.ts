/**
 * The detector's onnxruntime session in a worker thread
 * (inference/ort-worker-session.ts): the backend contract holds as for the
 * in-thread session; it finds the same animals on the clip's frames as the
 * in-thread detector; an error inside the worker is the same typed error; and
 * disposing it leaves no thread behind.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import type { GlovesError } from '../../daemon/src/errors.js';
import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { createBackend } from '../../daemon/src/inference/select.js';
import { createLogger, silentLogger } from '../../daemon/src/log/logger.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { loadModels } from '../../daemon/src/recognition/index.js';
import { clipFrames } from '../native/frames.js';
import { manifestsDir, modelsDir } from '../helpers/paths.js';
import { backendContract } from './contract.js';

backendContract('onnxruntime (worker)', 'onnxruntime', async () => createOnnxRuntimeBackend({ threads: 1, worker: true }), null);

const det = () => readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
const threadCount = () => readdirSync('/proc/self/task').length;
const settle = () => new Promise((r) => setTimeout(r, 200));

test('the worker detector finds the same animals as the in-thread one on clip frames', async () => {
  const config = loadConfig({ overrides: { inference: { threads: 2 } } });
  const log = silentLogger();
  const frames = (await clipFrames('RGB', 40)).filter((_, i) => i % 5 === 0).map(({ width, height, data }) => ({ width, height, data }));
  const inThread = await loadModels(config, createBackend(config.inference, log), log);
  const inWorker = await loadModels(config, createBackend(config.inference, log), log, {}, { detectorWorker: true });
  try {
    let animals = 0;
    for (const f of frames) {
      const [a, b] = await Promise.all([inThread.detector.detect(f), inWorker.detector.detect(f)]);
      animals += a.length;
      assert.is(b.length, a.length);
      a.forEach((d, i) => {
        assert.is(b[i]!.label, d.label);
        assert.ok(Math.abs(b[i]!.score - d.score) < 1e-4, `${b[i]!.score} vs ${d.score}`);
        d.box.forEach((v, k) => assert.ok(Math.abs(b[i]!.box[k]! - v) < 0.01, `box ${b[i]!.box} vs ${d.box}`));
      });
    }
    assert.ok(animals >= frames.length, `the clip's cat is found (${animals} detections on ${frames.length} frames)`);
  } finally {
    await Promise.all([inThread.detector.dispose(), inThread.embedder.dispose(), inWorker.detector.dispose(), inWorker.embedder.dispose()]);
  }
});

test('an error inside the worker is INFERENCE_FAILED naming the model, as in the thread', async () => {
  // A manifest asking for an output the model lacks: only onnxruntime itself (in the worker) can tell.
  const m = det();
  const bad = { ...m, outputs: [{ ...m.outputs[0]!, name: 'no_such_output' }] };
  const input = { images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416) } };
  const errs: GlovesError[] = [];
  for (const worker of [false, true]) {
    const s = await createOnnxRuntimeBackend({ threads: 1, worker }).load(bad, join(modelsDir, m.file));
    try {
      await s.run(input);
      assert.unreachable('run succeeded');
    } catch (err) {
      errs.push(err as GlovesError);
    } finally {
      await s.dispose();
    }
  }
  for (const e of errs) {
    assert.is(e.code, 'INFERENCE_FAILED');
    assert.ok(e.message.startsWith(`${m.name}: `), e.message);
    assert.is((e.context as { model: string }).model, m.name);
  }
});

test('dispose ends the worker and its threads; a run pending at dispose is SESSION_DISPOSED', async () => {
  const m = det();
  const backend = createOnnxRuntimeBackend({ threads: 2, worker: true });
  // A first cycle: whatever the process creates once (libuv, onnxruntime globals) is then there already.
  await (await backend.load(m, join(modelsDir, m.file))).dispose();
  await settle();
  const before = threadCount();
  const input = { images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416) } };
  for (let i = 0; i < 3; i++) {
    const s = await backend.load(m, join(modelsDir, m.file));
    assert.ok(threadCount() > before, 'the worker runs beside this thread');
    await s.run(input);
    const pending = s.run(input).then(
      () => 'done',
      (e: GlovesError) => e.code,
    );
    await s.dispose();
    // dispose() rejects every pending run at once, whether or not the worker is still computing it.
    assert.is(await pending, 'SESSION_DISPOSED');
    await settle();
    assert.is(threadCount(), before, `threads after dispose ${i + 1}`);
  }
});

test('dispose waits for a run in flight instead of terminating the worker under it', async () => {
  const m = det();
  const lines: string[] = [];
  const log = createLogger('t', { level: 'warn', sink: (l) => lines.push(l) });
  // closeMs 1: an idle close would be cut short at once, so only the in-flight wait (runMs) lets these runs finish.
  const backend = createOnnxRuntimeBackend({ threads: 1, worker: true }, { closeMs: 1, log });
  const input = { images: { dims: [1, 3, 416, 416], data: new Float32Array(3 * 416 * 416) } };
  const before = threadCount();
  for (let i = 0; i < 3; i++) {
    const s = await backend.load(m, join(modelsDir, m.file));
    const pending = [s.run(input), s.run(input)].map((p) =>
      p.then(
        () => 'done',
        (e: GlovesError) => e.code,
      ),
    );
    await s.dispose();
    assert.equal(await Promise.all(pending), ['SESSION_DISPOSED', 'SESSION_DISPOSED']);
  }
  assert.equal(lines, [], 'no worker was terminated');
  await settle();
  assert.ok(threadCount() <= before, 'no thread left behind');
});

test.run();

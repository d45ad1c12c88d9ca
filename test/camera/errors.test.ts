/** Every failure is a typed CameraError within a few seconds, never a hang. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFrameSource, drainCameraPipelines, CameraError } from '../../daemon/src/camera/index.js';
import { GstFrameSource, type GstSourceConfig } from '../../daemon/src/camera/gst-source.js';
import { SourceEmitter } from '../../daemon/src/camera/emitter.js';
import { PipelinePool } from '../../daemon/src/camera/pool.js';
import { buildPipeline } from '../../daemon/src/camera/pipeline.js';
import { GENERIC_PLATFORM } from '../../daemon/src/camera/platform.js';
import { log, opts, rejection, within } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gloves-cam-err-'));
test.after(() => {
  drainCameraPipelines();
  rmSync(tmp, { recursive: true, force: true });
});

async function startError(uri: string): Promise<{ code?: string; ms: number; err: unknown }> {
  const t0 = performance.now();
  const src = createFrameSource(opts(uri), { log });
  const err = await within(8000, rejection(src.start()), uri);
  const ms = performance.now() - t0;
  assert.is(await src.next(), null, 'next() is null after a failed start');
  await src.stop();
  return { code: err.code, ms, err };
}

test('a bad URI is URI_INVALID at creation', () => {
  try {
    createFrameSource(opts('camera://front'), { log });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, CameraError);
    assert.is((err as CameraError).code, 'URI_INVALID');
  }
});

test('a missing file is SOURCE_NOT_FOUND', async () => {
  const r = await startError(`file://${join(tmp, 'nope.mp4')}`);
  assert.is(r.code, 'SOURCE_NOT_FOUND');
  assert.instance(r.err, CameraError);
  assert.ok(r.ms < 5000, `${r.ms} ms`);
});

test('a non-video file is SOURCE_UNSUPPORTED, quickly', async () => {
  const f = join(tmp, 'notes.mp4');
  writeFileSync(f, 'this is not a video\n'.repeat(200));
  const r = await startError(`file://${f}`);
  assert.is(r.code, 'SOURCE_UNSUPPORTED');
  assert.ok(r.ms < 5000, `${r.ms} ms`);
  const bin = join(tmp, 'random.mkv');
  writeFileSync(bin, Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 7919) % 251)));
  const r2 = await startError(`file://${bin}`);
  assert.ok(r2.code === 'SOURCE_UNSUPPORTED' || r2.code === 'SOURCE_FAILED', String(r2.code));
  assert.ok(r2.ms < 5000, `${r2.ms} ms`);
});

test('an empty directory is SOURCE_UNSUPPORTED', async () => {
  const d = mkdtempSync(join(tmp, 'empty-'));
  assert.is((await startError(`file://${d}`)).code, 'SOURCE_UNSUPPORTED');
});

test('a v4l2 device that does not exist is SOURCE_NOT_FOUND', async () => {
  const r = await startError('v4l2:///dev/video63');
  assert.is(r.code, 'SOURCE_NOT_FOUND');
  assert.ok(r.ms < 3000, `${r.ms} ms`);
});

function rawSource(launch: string, over: Partial<GstSourceConfig> = {}): GstFrameSource {
  const cfg: GstSourceConfig = {
    kind: 'v4l2',
    launch,
    width: 64,
    height: 48,
    loop: false,
    live: true,
    reconnect: { initialMs: 50, maxMs: 200 },
    startTimeoutMs: 10000,
    stallTimeoutMs: 10000,
    ...over,
  };
  return new GstFrameSource(cfg, new SourceEmitter(log), log, new PipelinePool(200));
}

test('the addon loses the v4l2 NULL->READY error: "null without EOS" is SOURCE_FAILED within seconds', async () => {
  // Past the pre-check, straight into the pipeline (a device unplugged between check and open).
  const launch = buildPipeline(
    { kind: 'v4l2', device: '/dev/video63' },
    { width: 64, height: 48, fps: 10, realtime: true },
    GENERIC_PLATFORM,
  );
  const src = rawSource(launch);
  const t0 = performance.now();
  const err = await within(8000, rejection(src.start()), 'v4l2 start');
  assert.is(err.code, 'SOURCE_FAILED');
  assert.ok(performance.now() - t0 < 4000, `${performance.now() - t0} ms`);
  await src.stop();
});

test('an unknown element is PIPELINE_INVALID', async () => {
  const src = rawSource('videotestsrc ! no_such_element_xyz ! appsink name=sink');
  assert.is((await rejection(src.start())).code, 'PIPELINE_INVALID');
  await src.stop();
});

test('no first frame in time is SOURCE_TIMEOUT', async () => {
  // A live pattern at one frame per 5 s: its first frame waits for the clock.
  const slow = rawSource(
    'videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=1/5 ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink',
    {
      kind: 'test',
      live: false,
      startTimeoutMs: 300,
    },
  );
  const t0 = performance.now();
  assert.is((await within(5000, rejection(slow.start()), 'timeout')).code, 'SOURCE_TIMEOUT');
  assert.ok(performance.now() - t0 < 2500);
  await slow.stop();
});

test('stop() during start rejects start with SOURCE_STOPPED; stop is idempotent', async () => {
  const src = createFrameSource(opts('test://ball', { realtime: true, fps: 1 }), { log });
  const p = src.start();
  await src.stop();
  await src.stop();
  const err = await rejection(p).catch(() => ({ code: 'resolved' }));
  // Either the first frame beat stop() (resolved) or start was cancelled with a typed code.
  assert.ok(err.code === 'SOURCE_STOPPED' || err.code === 'resolved', String(err.code));
  assert.is(await src.next(), null);
});

test('a live source reconnects with backoff after its stream ends', async () => {
  // A "camera" that sends 3 frames then EOS: each end is a failure to recover from.
  const src = rawSource(
    'videotestsrc num-buffers=3 is-live=true ! video/x-raw,width=64,height=48,framerate=50/1 ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink',
    {
      kind: 'test',
      live: true,
    },
  );
  const emitter = (src as unknown as { emitter: SourceEmitter }).emitter;
  const attempts: number[] = [];
  const delays: number[] = [];
  let reconnected = 0;
  emitter.on('reconnecting', ({ attempt, delayMs, error }) => {
    attempts.push(attempt);
    delays.push(delayMs);
    assert.is(error.code, 'SOURCE_FAILED');
  });
  emitter.on('reconnected', () => reconnected++);
  await src.start();
  let n = 0;
  while (n < 10) {
    const f = await within(8000, src.next(), 'frame after reconnect');
    assert.ok(f, 'a live source never ends by itself');
    n++;
  }
  await src.stop();
  assert.ok(attempts.length >= 3, `reconnect attempts ${attempts.length}`);
  assert.ok(
    attempts.every((a) => a === 1),
    'attempt resets after frames flow again',
  );
  assert.ok(delays.every((d) => d === 50));
  assert.ok(reconnected >= 3);
  assert.ok(src.stats().reconnects >= 3);
});

test('backoff grows and is capped while a live source keeps failing', async () => {
  const launch = buildPipeline(
    { kind: 'v4l2', device: '/dev/video63' },
    { width: 64, height: 48, fps: 10, realtime: true },
    GENERIC_PLATFORM,
  );
  // Start on a working pipeline, then make every reconnect fail by swapping the launch string.
  const cfg = {
    launch: 'videotestsrc num-buffers=1 ! video/x-raw,width=64,height=48 ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink',
  };
  const src = rawSource(cfg.launch, { kind: 'v4l2', live: true, reconnect: { initialMs: 20, maxMs: 80 }, endGraceMs: 50 });
  const delays: number[] = [];
  (src as unknown as { emitter: SourceEmitter }).emitter.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
  await src.start();
  (src as unknown as { cfg: GstSourceConfig }).cfg.launch = launch;
  // Fresh pool entry for the failing launch: every attempt fails on NULL->READY.
  await within(
    8000,
    (async () => {
      while (delays.length < 5) await new Promise((r) => setTimeout(r, 20));
    })(),
    'five reconnect attempts',
  );
  await src.stop();
  assert.equal(delays.slice(0, 5), [20, 40, 80, 80, 80]);
  assert.is(src.stats().state, 'stopped');
});

test.run();

/**
 * The child-process source of live cameras (rtsp, v4l2, csi): pure helpers,
 * then real gst-launch children standing in for a camera that dies. A USB
 * camera that is unplugged makes v4l2src fail and gst-launch exit; here a
 * stream that ends, a child that dies with an error, and one that stops
 * writing without dying stand in for it (no v4l2 device or v4l2loopback
 * module exists on this machine: unplugging a real one is unverified).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceEmitter } from '../../daemon/src/camera/emitter.js';
import { buildPipeline, GENERIC_PLATFORM } from '../../daemon/src/camera/index.js';
import {
  childFailure,
  frameBytes,
  launchArgv,
  ProcessFrameSource,
  type ProcessSourceConfig,
} from '../../daemon/src/camera/process-source.js';
import { log, rejection, within } from './helpers.js';

test('launchArgv splits on spaces outside quotes and keeps escapes', () => {
  assert.equal(launchArgv('rtspsrc location="rtsp://h/a b" ! fdsink fd=1'), ['rtspsrc', 'location="rtsp://h/a b"', '!', 'fdsink', 'fd=1']);
  assert.equal(launchArgv('a  location="x\\"y" ! b'), ['a', 'location="x\\"y"', '!', 'b']);
  assert.throws(() => launchArgv('a location="open ! b'), /unbalanced quote/);
});

test('childFailure names the ERROR line and how the child ended', () => {
  assert.is(
    childFailure('Setting...\nERROR: from element /GstPipeline:pipeline0/GstV4l2Src:v4l2src0: Device gone\nmore\n', 1, null),
    'exited with code 1: ERROR: from element /GstPipeline:pipeline0/GstV4l2Src:v4l2src0: Device gone',
  );
  assert.is(childFailure('', null, 'SIGKILL'), 'killed by SIGKILL');
  assert.is(childFailure('', 0, null), 'stream ended');
});

test('frameBytes pads RGB rows to 4 bytes like GStreamer', () => {
  assert.is(frameBytes(640, 360), 640 * 3 * 360);
  assert.is(frameBytes(5, 2), 16 * 2);
});

test('live pipelines end in a leaky queue and fdsink when built for a child', () => {
  const launch = buildPipeline(
    { kind: 'rtsp', url: 'rtsp://cam/s' },
    { width: 64, height: 48, fps: 10, realtime: true, sink: 'fdsink' },
    GENERIC_PLATFORM,
  );
  assert.ok(launch.endsWith('queue leaky=downstream max-size-buffers=1 ! fdsink fd=1 sync=false'), launch);
});

const W = 64;
const H = 48;
const testLaunch = (extra = ''): string =>
  `videotestsrc is-live=true ${extra} ! video/x-raw,width=${W},height=${H},framerate=30/1 ! videoconvert ! video/x-raw,format=RGB,width=${W},height=${H} ! queue leaky=downstream max-size-buffers=1 ! fdsink fd=1 sync=false`;

function source(over: Partial<ProcessSourceConfig>): { src: ProcessFrameSource; emitter: SourceEmitter } {
  const emitter = new SourceEmitter(log);
  const cfg: ProcessSourceConfig = {
    kind: 'v4l2',
    launch: testLaunch(),
    width: W,
    height: H,
    reconnect: { initialMs: 50, maxMs: 200 },
    startTimeoutMs: 10_000,
    stallTimeoutMs: 1500,
    ...over,
  };
  return { src: new ProcessFrameSource(cfg, emitter, log), emitter };
}

test('frames arrive whole and in order from a real gst-launch child', async () => {
  const { src } = source({});
  try {
    await within(10_000, src.start(), 'start');
    for (let i = 0; i < 5; i++) {
      const f = await within(5000, src.next(), 'frame');
      assert.ok(f);
      assert.is(f!.image.data.length, W * H * 3);
    }
    assert.is(src.children, 1);
  } finally {
    await src.stop();
  }
  assert.is(src.children, 0);
  assert.is(src.stats().state, 'stopped');
});

test('a stream that ends (device gone) reconnects with backoff and delivers again', async () => {
  const { src, emitter } = source({ launch: testLaunch('num-buffers=15') });
  const attempts: number[] = [];
  let back = 0;
  emitter.on('reconnecting', ({ attempt }) => attempts.push(attempt));
  emitter.on('reconnected', () => back++);
  try {
    await within(10_000, src.start(), 'start');
    const end = Date.now() + 15_000;
    while (back < 2 && Date.now() < end) await within(5000, src.next(), 'frame');
    assert.ok(back >= 2, `reconnected ${back} times`);
    assert.ok(attempts.length >= 2);
    assert.ok(src.stats().reconnects >= 2);
  } finally {
    await src.stop();
  }
});

test('a child that dies with an error, or stops writing without dying, is retried; stop() is immediate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-proc-'));
  const fake = join(dir, 'fake-gst-launch');
  // First run: a few frames, then an unplug-like error; later runs: alive but silent (a wedged device).
  writeFileSync(
    fake,
    `#!/bin/sh\nif [ ! -e "${dir}/ran" ]; then touch "${dir}/ran"; head -c ${frameBytes(W, H) * 3} /dev/zero; echo "ERROR: from element /GstPipeline:pipeline0/GstV4l2Src:v4l2src0: Could not read from resource." >&2; exit 1; fi\nexec sleep 60\n`,
  );
  chmodSync(fake, 0o755);
  const { src, emitter } = source({ command: fake, stallTimeoutMs: 400 });
  const errors: string[] = [];
  emitter.on('reconnecting', ({ error }) => errors.push(error.message));
  await within(10_000, src.start(), 'start');
  for (let t = 0; errors.length < 3 && t < 10_000; t += 50) await new Promise((r) => setTimeout(r, 50));
  assert.match(errors[0]!, /exited with code 1: ERROR: .*Could not read from resource/);
  assert.match(errors[1]!, /no frame for \d+ ms/);
  assert.is(src.stats().state, 'reconnecting');
  const t0 = Date.now();
  await src.stop();
  assert.ok(Date.now() - t0 < 100);
  assert.is(await src.next(), null);
});

test('a missing gst-launch fails start() with a clear code', async () => {
  const { src } = source({ command: '/nonexistent/gst-launch-1.0' });
  const err = await rejection(src.start());
  assert.is(err.code, 'PIPELINE_INVALID');
  assert.match(err.message, /not found: install gstreamer1.0-tools/);
});

test.run();

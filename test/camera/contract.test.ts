/**
 * Same contract on paths this machine cannot run natively.
 * - Jetson: the CSI camera and NVIDIA elements are absent, so a stand-in
 *   GstModule rewrites the Jetson launch string element for element into its
 *   CPU equivalent (nvarguscamerasrc -> live videotestsrc, nvvidconv ->
 *   videoscale, nvv4l2decoder -> avdec_h264) and hands it to real GStreamer.
 *   The rest of the pipeline string, the caps chain and all the source logic
 *   run for real.
 * - Stalls: a live source that stops producing without an error reconnects.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFrameSource, drainCameraPipelines, JETSON_PLATFORM, buildPipeline } from '../../daemon/src/camera/index.js';
import { loadGst, type GstModule } from '../../daemon/src/camera/gst.js';
import { GstFrameSource } from '../../daemon/src/camera/gst-source.js';
import { SourceEmitter } from '../../daemon/src/camera/emitter.js';
import { PipelinePool } from '../../daemon/src/camera/pool.js';
import { catClip } from '../helpers/paths.js';
import { log, opts, within } from './helpers.js';

test.after(() => drainCameraPipelines());

const launched: string[] = [];

function jetsonOnCpu(launch: string): string {
  return launch
    .replace(
      /nvarguscamerasrc sensor-id=\d+ ! video\/x-raw\(memory:NVMM\)/,
      'videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1',
    )
    .replace('nvv4l2decoder', 'avdec_h264')
    .replace('nvvidconv', 'videoscale ! videoconvert');
}

const fakeJetsonGst = (): GstModule => {
  const real = loadGst();
  return {
    Pipeline: class {
      constructor(launch: string) {
        launched.push(launch);
        return new real.Pipeline(jetsonOnCpu(launch));
      }
    } as unknown as GstModule['Pipeline'],
  };
};

test('csi:// on a (stand-in) Jetson streams frames of the configured size', async () => {
  const src = createFrameSource(opts('csi://0', { width: 320, height: 180, fps: 15, realtime: true }), {
    log,
    platform: JETSON_PLATFORM,
    gst: fakeJetsonGst,
  });
  await within(10000, src.start(), 'start');
  for (let i = 0; i < 5; i++) {
    const f = await within(5000, src.next(), 'frame');
    assert.is(f?.image.data.length, 320 * 180 * 3);
  }
  await src.stop();
  assert.ok(launched.at(-1)!.startsWith('nvarguscamerasrc sensor-id=0 ! '), 'the Jetson string was built');
  assert.is(
    launched.at(-1),
    buildPipeline({ kind: 'csi', sensorId: 0 }, { width: 320, height: 180, fps: 15, realtime: true }, JETSON_PLATFORM),
  );
});

test('a file on a (stand-in) Jetson decodes through the nvvidconv tail', async () => {
  const src = createFrameSource(opts(`file://${catClip}`, { width: 200, height: 100 }), {
    log,
    platform: JETSON_PLATFORM,
    gst: fakeJetsonGst,
  });
  await src.start();
  let n = 0;
  while (await src.next()) n++;
  await src.stop();
  assert.is(n, 223);
  assert.match(launched.at(-1)!, /decodebin ! nvvidconv ! video\/x-raw,format=BGRx,width=200,height=100 ! videoconvert/);
});

test('a live source that stalls without an error reconnects', async () => {
  // Each buffer sleeps 1.2 s in the streaming thread: frames arrive, then nothing for longer than the stall timeout.
  const launch =
    'videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=30/1 ! identity sleep-time=1200000 ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false';
  const emitter = new SourceEmitter(log);
  const src = new GstFrameSource(
    {
      kind: 'test',
      launch,
      width: 64,
      height: 48,
      loop: false,
      live: true,
      reconnect: { initialMs: 50, maxMs: 100 },
      startTimeoutMs: 5000,
      stallTimeoutMs: 400,
    },
    emitter,
    log,
    new PipelinePool(100),
  );
  const errors: { code: string; stallMs: unknown }[] = [];
  emitter.on('reconnecting', ({ error }) => errors.push({ code: error.code, stallMs: error.context.stallMs }));
  await within(5000, src.start(), 'start');
  await within(
    8000,
    (async () => {
      while (errors.length === 0) await new Promise((r) => setTimeout(r, 50));
    })(),
    'stall detected',
  );
  await src.stop();
  assert.is(errors[0]!.code, 'SOURCE_FAILED');
  assert.type(errors[0]!.stallMs, 'number');
});

test.run();

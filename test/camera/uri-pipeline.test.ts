/** Pure parts: URI parsing, pipeline strings for every kind and platform, helpers. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseSourceUri,
  isLive,
  buildPipeline,
  validateLaunch,
  GENERIC_PLATFORM,
  JETSON_PLATFORM,
  backoffDelay,
  type OutputSpec,
} from '../../daemon/src/camera/index.js';
import { fraction, quote } from '../../daemon/src/camera/pipeline.js';
import { packRgb } from '../../daemon/src/camera/frame.js';
import { LatestSlot } from '../../daemon/src/camera/latest.js';
import { FpsMeter } from '../../daemon/src/camera/fps.js';
import { detectPlatform } from '../../daemon/src/camera/platform.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

test('parses every URI kind', () => {
  assert.equal(parseSourceUri('file:///data/cat.mp4'), { kind: 'file', path: '/data/cat.mp4' });
  assert.equal(parseSourceUri('file://rel/dir'), { kind: 'file', path: 'rel/dir' });
  assert.equal(parseSourceUri('file:///a%20b/c.mp4'), { kind: 'file', path: '/a b/c.mp4' });
  assert.equal(parseSourceUri('rtsp://u:p@10.0.0.2:554/stream1'), { kind: 'rtsp', url: 'rtsp://u:p@10.0.0.2:554/stream1' });
  assert.equal(parseSourceUri('v4l2:///dev/video0'), { kind: 'v4l2', device: '/dev/video0' });
  assert.equal(parseSourceUri('csi://1'), { kind: 'csi', sensorId: 1 });
  assert.equal(parseSourceUri('test://ball'), { kind: 'test', pattern: 'ball' });
  assert.equal(parseSourceUri('test://'), { kind: 'test', pattern: 'smpte' });
  assert.ok(isLive(parseSourceUri('rtsp://h/x')) && isLive(parseSourceUri('v4l2:///dev/video0')) && isLive(parseSourceUri('csi://0')));
  assert.not.ok(isLive(parseSourceUri('test://ball')) || isLive(parseSourceUri('file:///x.mp4')));
});

test('bad URIs are URI_INVALID and name the URI', () => {
  for (const bad of [
    '',
    'cat.mp4',
    'http://x/y',
    'bogus://x',
    'file://',
    'file:///a"b',
    'v4l2://video0',
    'v4l2:///dev/../etc/passwd',
    'csi://x',
    'test://nope',
    'rtsp://',
    'file:///a%ZZ',
  ]) {
    let err: { code?: string; context?: { uri?: string } } | undefined;
    try {
      parseSourceUri(bad);
    } catch (e) {
      err = e as typeof err;
    }
    assert.is(err?.code, 'URI_INVALID', bad);
    assert.is(err?.context?.uri, bad, `details name ${bad}`);
  }
});

const out: OutputSpec = { width: 640, height: 360, fps: 10, realtime: true };
const RGB = 'video/x-raw,format=RGB,width=640,height=360';

test('generic pipelines for every kind', () => {
  const g = GENERIC_PLATFORM;
  assert.is(
    buildPipeline({ kind: 'file', path: '/v/cat.mp4' }, out, g),
    `filesrc location="/v/cat.mp4" ! decodebin ! videoscale ! videoconvert ! ${RGB} ! appsink name=sink sync=true max-buffers=1 drop=false enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'rtsp', url: 'rtsp://cam/s' }, out, g),
    `rtspsrc location="rtsp://cam/s" latency=200 protocols=tcp ! decodebin ! videorate drop-only=true max-rate=10 ! videoscale ! videoconvert ! ${RGB} ! appsink name=sink sync=true max-buffers=1 drop=true enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'v4l2', device: '/dev/video0' }, out, g),
    `v4l2src device="/dev/video0" ! videorate drop-only=true max-rate=10 ! videoscale ! videoconvert ! ${RGB} ! appsink name=sink sync=true max-buffers=1 drop=true enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'test', pattern: 'ball' }, out, g),
    `videotestsrc pattern=ball is-live=true ! video/x-raw,width=640,height=360,framerate=10/1 ! videoconvert ! ${RGB} ! appsink name=sink sync=true max-buffers=1 drop=true enable-last-sample=false`,
  );
  assert.is(
    code(() => buildPipeline({ kind: 'csi', sensorId: 0 }, out, g)),
    'SOURCE_UNSUPPORTED',
  );
});

test('Jetson pipelines use the hardware decoder, converter and CSI source', () => {
  const j = JETSON_PLATFORM;
  const nvTail = 'nvvidconv ! video/x-raw,format=BGRx,width=640,height=360 ! ';
  const sink = 'videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=true max-buffers=1';
  assert.is(
    buildPipeline({ kind: 'file', path: '/v/cat.mp4' }, out, j),
    `filesrc location="/v/cat.mp4" ! decodebin ! ${nvTail}${sink} drop=false enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'rtsp', url: 'rtsp://cam/s' }, out, j),
    `rtspsrc location="rtsp://cam/s" latency=200 protocols=tcp ! rtph264depay ! h264parse ! nvv4l2decoder ! ${nvTail}videorate drop-only=true max-rate=10 ! ${sink} drop=true enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'v4l2', device: '/dev/video1' }, out, j),
    `v4l2src device="/dev/video1" ! videorate drop-only=true max-rate=10 ! ${nvTail}${sink} drop=true enable-last-sample=false`,
  );
  assert.is(
    buildPipeline({ kind: 'csi', sensorId: 1 }, out, j),
    `nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM) ! ${nvTail}videorate drop-only=true max-rate=10 ! ${sink} drop=true enable-last-sample=false`,
  );
  // Test patterns have nothing to decode: same on both platforms.
  assert.is(
    buildPipeline({ kind: 'test', pattern: 'snow' }, out, j),
    buildPipeline({ kind: 'test', pattern: 'snow' }, out, GENERIC_PLATFORM),
  );
});

test('CPU pipelines scale before converting; non-realtime ones do not sync', () => {
  for (const src of [
    { kind: 'file', path: '/x.mp4' },
    { kind: 'rtsp', url: 'rtsp://h/s' },
    { kind: 'v4l2', device: '/dev/video0' },
  ] as const) {
    const s = buildPipeline(src, { ...out, realtime: false }, GENERIC_PLATFORM);
    assert.ok(s.indexOf('videoscale') < s.indexOf('videoconvert'), s);
    assert.ok(s.includes('sync=false'), s);
  }
  assert.ok(buildPipeline({ kind: 'test', pattern: 'ball' }, { ...out, realtime: false }, GENERIC_PLATFORM).includes('is-live=false'));
});

test('launch strings are quoted and validated', () => {
  assert.is(quote('/a "b"\\c'), '"/a \\"b\\"\\\\c"');
  assert.ok(buildPipeline({ kind: 'file', path: '/a "b".mp4' }, out, GENERIC_PLATFORM).startsWith('filesrc location="/a \\"b\\".mp4" ! '));
  assert.is(
    code(() => validateLaunch('videotestsrc')),
    'PIPELINE_INVALID',
    'single element',
  );
  assert.is(
    code(() => validateLaunch('filesrc location="a ! b" ')),
    'PIPELINE_INVALID',
    '! inside quotes is not a link',
  );
  assert.is(
    code(() => validateLaunch('videotestsrc ! fakesink')),
    'PIPELINE_INVALID',
    'no appsink',
  );
  assert.is(
    code(() => validateLaunch('videotestsrc ! appsink name=sink "')),
    'PIPELINE_INVALID',
    'open quote',
  );
  validateLaunch('videotestsrc ! appsink name=sink');
  assert.is(
    code(() => buildPipeline({ kind: 'test', pattern: 'ball' }, { ...out, width: 0 }, GENERIC_PLATFORM)),
    'PIPELINE_INVALID',
  );
});

test('fps fractions, backoff, platform override', () => {
  assert.is(fraction(10), '10/1');
  assert.is(fraction(7.5), '15/2');
  assert.is(fraction(29.97), '2997/100');
  assert.equal(
    [1, 2, 3, 4, 5, 10, 100].map((a) => backoffDelay(a, { initialMs: 500, maxMs: 4000 })),
    [500, 1000, 2000, 4000, 4000, 4000, 4000],
  );
  assert.is(detectPlatform({ GLOVES_PLATFORM: 'jetson' }).jetson, true);
  assert.is(detectPlatform({ GLOVES_PLATFORM: 'generic' }).jetson, false);
});

test('packRgb removes GStreamer row padding', () => {
  const w = 3;
  const h = 2;
  // rows of 9 bytes padded to 12
  const padded = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 0, 0]);
  assert.equal([...packRgb(padded, w, h)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const tight = new Uint8Array(4 * 2 * 3);
  assert.is(packRgb(tight, 4, 2), tight);
  assert.is(
    code(() => packRgb(new Uint8Array(5), 4, 2)),
    'SOURCE_FAILED',
  );
});

test('LatestSlot: newest wins, drops counted, close drains', async () => {
  const s = new LatestSlot<number>();
  s.put(1);
  s.put(2);
  s.put(3);
  assert.is(await s.take(), 3);
  assert.is(s.dropped, 2);
  const waiting = s.take();
  s.put(4);
  assert.is(await waiting, 4);
  const [a, b] = [s.take(), s.take()];
  s.put(7);
  assert.equal([await a, await b], [7, 7], 'concurrent takes share the next item');
  s.put(5);
  s.close();
  assert.is(await s.take(), 5, 'unread item survives close');
  assert.is(await s.take(), null);
  s.reopen();
  s.put(6);
  s.close(true);
  assert.is(await s.take(), null, 'discard');
  assert.is(s.delivered, 4);
});

test('FpsMeter measures over its window', () => {
  const m = new FpsMeter(1000);
  for (let t = 0; t <= 3000; t += 100) m.tick(t);
  assert.ok(Math.abs(m.fps() - 10) < 0.01, String(m.fps()));
});

test.run();

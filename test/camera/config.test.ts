/** The camera config section: defaults that createFrameSource accepts, URI checked at load time. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cameraSection } from '../../daemon/src/camera/config.js';
import { createFrameSource } from '../../daemon/src/camera/index.js';
import { log } from './helpers.js';

test('defaults are a working test source', async () => {
  const c = cameraSection.parse({});
  assert.is(c.uri, 'test://smpte');
  assert.is(c.startTimeoutMs, 10000);
  assert.is(c.stallTimeoutMs, 10000);
  const src = createFrameSource({ ...c, fps: 30 }, { log });
  await src.start();
  const f = await src.next();
  await src.stop();
  assert.is(f?.image.width, 640);
  assert.is(f?.image.height, 360);
});

test('a bad URI is a config error on camera.uri, reported with the other problems', () => {
  const r = cameraSection.safeParse({ uri: 'webcam://0', width: 3 });
  assert.not.ok(r.success);
  const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(
    issues.some((l) => l.startsWith('uri: invalid camera URI "webcam://0"')),
    issues.join('\n'),
  );
  assert.ok(
    issues.some((l) => l.startsWith('width: ')),
    issues.join('\n'),
  );
  for (const ok of ['file:///x.mp4', 'rtsp://cam/s', 'v4l2:///dev/video0', 'csi://0', 'test://ball'])
    assert.ok(cameraSection.safeParse({ uri: ok }).success, ok);
});

test.run();

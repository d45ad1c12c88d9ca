/**
 * First start on a Jetson: engines are built inside the recognition component,
 * before READY=1, and take minutes. The daemon (in-process, real notify socket,
 * real Mosquitto, slideshow camera) over the mock addon with a slow build must
 * keep systemd's start job alive: EXTEND_TIMEOUT_USEC with STATUS=building <model>
 * on a heartbeat, all before READY=1; a second start loads the cached engine and
 * sends none. The shipped QOperator embedder runs on onnxruntime meanwhile.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { Daemon } from '../../daemon/src/runtime/daemon.js';
import { SystemdNotifier } from '../../daemon/src/systemd/notify.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { setNativeAddonOverride } from '../../daemon/src/native/addon.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { catsDir, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { buildSlideshow, cli } from './support/daemon.js';
import { receiver } from './support/notify-receiver.js';

let broker: Broker;
let dir: string;
let slides: string;

test.before(async () => {
  requireFixtures();
  dir = mkdtempSync(join(tmpdir(), 'gloves-trt-heartbeat-'));
  broker = await startMosquitto({});
  slides = join(dir, 'slides');
  await buildSlideshow(slides, [{ image: 'blank', copies: 2 }]);
  const e = cli(['enroll', '--gallery', join(dir, 'gallery'), '--name', 'Koshka', join(catsDir, 'koshka', '01.jpg')]);
  assert.is(e.code, 0, e.stderr);
});
test.after(async () => {
  setNativeAddonOverride(undefined);
  await broker?.stop();
});

async function startOnce(id: string, buildDelayMs: number) {
  const addon = createMockAddon({ buildDelayMs });
  setNativeAddonOverride(addon);
  const sock = join(dir, `${id}.sock`);
  const notify = await receiver(sock);
  const lines: string[] = [];
  const log = createLogger('gloves', { level: 'info', sink: (l) => lines.push(l) });
  const config = loadConfig({
    overrides: {
      camera: { uri: `file://${slides}`, slideshowFps: 4 },
      device: { id, stateDir: join(dir, `state-${id}`) },
      gallery: { dir: join(dir, 'gallery') },
      mqtt: { url: broker.url, reconnectSeconds: 0.3 },
      inference: { engineCacheDir: join(dir, 'engines') },
      http: { listen: 'off' },
    },
  });
  // WATCHDOG_USEC 0.4 s: the heartbeat follows the watchdog interval (0.2 s) when it is shorter than 10 s.
  const env = { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000', PATH: process.env.PATH };
  const daemon = new Daemon(config, log, { env, notifier: new SystemdNotifier(env, log.child('systemd')) });
  try {
    await daemon.start();
    await notify.waitFor(2); // READY=1 at least
    for (let t = 0; t < 5000 && !notify.lines.some((l) => l.startsWith('READY=1')); t += 50) await new Promise((r) => setTimeout(r, 50));
    await daemon.stop();
  } finally {
    notify.child.kill();
    await daemon.stop();
    setNativeAddonOverride(undefined);
  }
  return { addon, lines, notify: notify.lines.slice(1) };
}

test('a slow first engine build sends EXTEND_TIMEOUT_USEC + STATUS=building heartbeats before READY=1', async () => {
  const r = await startOnce('first', 1500);
  assert.is(r.addon.builds.length, 1, 'only the detector is built: the QOperator embedder runs on onnxruntime');
  const ready = r.notify.findIndex((l) => l.startsWith('READY=1'));
  assert.ok(ready > 0, r.notify.join(' | '));
  const beats = r.notify.slice(0, ready).filter((l) => l.startsWith('EXTEND_TIMEOUT_USEC='));
  assert.ok(beats.length >= 4, `heartbeats before READY: ${beats.length}: ${r.notify.join(' | ')}`);
  for (const b of beats) assert.match(b, /^EXTEND_TIMEOUT_USEC=30000000\\nSTATUS=building yolox_nano_416_coco 0:\d\d$/);
  assert.ok(
    r.notify.slice(0, ready).some((l) => /^STATUS=built yolox_nano_416_coco in 0:\d\d$/.test(l)),
    r.notify.join(' | '),
  );
  assert.ok(
    r.lines.some((l) => l.includes('mobilenetv2-12-int8_pooled: onnxruntime (QOperator int8 model')),
    "startup log names each model's backend",
  );
  assert.ok(r.lines.some((l) => l.includes('yolox_nano_416_coco: tensorrt (float model')));
});

test('the second start loads the cached engine: no build, no heartbeat', async () => {
  const r = await startOnce('second', 1500);
  assert.is(r.addon.builds.length, 0);
  assert.is(r.addon.loads, 1);
  assert.not.ok(
    r.notify.some((l) => l.startsWith('EXTEND_TIMEOUT_USEC=')),
    r.notify.join(' | '),
  );
  assert.ok(r.notify.some((l) => l.startsWith('READY=1')));
});

test.run();

/**
 * The Daemon composition root in-process on real parts (slideshow camera, the
 * real models, a real Mosquitto, a real notify socket): the watchdog while the
 * camera has legitimately no frames, a skipped slideshow image is not a
 * failure, and a stop during startup.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { Daemon, type DaemonExit } from '../../daemon/src/runtime/daemon.js';
import { SystemdNotifier } from '../../daemon/src/systemd/notify.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { catsDir, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { buildSlideshow, cli } from './support/daemon.js';
import { receiver } from './support/notify-receiver.js';
import { record } from './support/subscriber.js';

let broker: Broker;
let dir: string;
let gallery: string;
let slides: string;

test.before(async () => {
  try {
    requireFixtures();
    dir = mkdtempSync(join(tmpdir(), 'gloves-runtime-'));
    broker = await startMosquitto({});
    gallery = join(dir, 'gallery');
    const e = cli(['enroll', '--gallery', gallery, '--name', 'Koshka', join(catsDir, 'koshka', '01.jpg')]);
    assert.is(e.code, 0, e.stderr);
    slides = join(dir, 'slides');
    await buildSlideshow(slides, [{ image: 'blank', copies: 3 }]);
    // One unreadable image in the middle of the show.
    writeFileSync(join(slides, '001.jpg'), 'this is not a jpeg');
  } catch (err) {
    console.error('setup failed:', err);
    throw err;
  }
});
test.after(async () => {
  await broker?.stop();
});

function makeDaemon(id: string, opts: { exitAtEnd?: boolean; notifyPath?: string; onLine?: (line: string) => void } = {}) {
  const config = loadConfig({
    overrides: {
      camera: { uri: `file://${slides}`, slideshowFps: 4 },
      device: { id, stateDir: join(dir, `state-${id}`) },
      gallery: { dir: gallery },
      mqtt: { url: broker.url, reconnectSeconds: 0.3 },
      http: { listen: 'off' },
    },
  });
  const lines: string[] = [];
  const log = createLogger('gloves', {
    level: 'debug',
    sink: (l) => {
      lines.push(l);
      opts.onLine?.(l);
    },
  });
  const env = opts.notifyPath ? { NOTIFY_SOCKET: opts.notifyPath, WATCHDOG_USEC: '1000000', PATH: process.env.PATH } : {};
  const notifier = new SystemdNotifier(env, log.child('systemd'));
  const daemon = new Daemon(config, log, { env, notifier, exitAtEnd: opts.exitAtEnd });
  const waitLine = async (re: RegExp, ms: number): Promise<string> => {
    for (let t = 0; t < ms; t += 50) {
      const l = lines.find((x) => re.test(x));
      if (l) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${re} within ${ms} ms:\n${lines.join('\n')}`);
  };
  return { daemon, lines, waitLine };
}

const settledWithin = (p: Promise<DaemonExit>, ms: number): Promise<DaemonExit | null> =>
  Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), ms))]);

test('a skipped image is counted, not a failure; after the file source ended the tick keeps pinging the watchdog', async () => {
  const sock = join(dir, 'notify.sock');
  const notify = await receiver(sock);
  const d = makeDaemon('idle', { notifyPath: sock });
  try {
    await d.daemon.start();
    const ended = await d.waitLine(/camera source ended/, 60_000);
    assert.match(ended, /"skipped":1/);
    assert.ok(d.lines.some((l) => l.startsWith('WARN') && l.includes('skipping unreadable image')));
    assert.is(await settledWithin(d.daemon.done, 500), null, 'no "camera failed" exit for a clean end');
    assert.not.ok(d.lines.some((l) => l.includes('camera failed')));
    const before = notify.lines.filter((l) => l === 'WATCHDOG=1').length;
    await new Promise((r) => setTimeout(r, 2600)); // WATCHDOG_USEC 1 s: a ping every 0.5 s
    const after = notify.lines.filter((l) => l === 'WATCHDOG=1').length;
    assert.ok(after - before >= 3, `watchdog pings while idle: ${after - before}`);
    await d.daemon.stop();
    assert.is((await d.daemon.done).code, 0);
    assert.is(notify.lines.at(-1), 'STOPPING=1', notify.lines.join(' | '));
  } finally {
    notify.child.kill();
    await d.daemon.stop();
  }
});

test('--exit-at-end with a skipped image exits 0 (camera source ended)', async () => {
  const d = makeDaemon('exitend', { exitAtEnd: true });
  try {
    await d.daemon.start();
    const exit = await settledWithin(d.daemon.done, 60_000);
    assert.ok(exit, 'ended');
    assert.equal({ code: exit!.code, reason: exit!.reason }, { code: 0, reason: 'camera source ended' }, d.lines.join('\n'));
  } finally {
    await d.daemon.stop();
  }
});

test('stop during startup: the component being started finishes and is stopped, later ones never start, each stops once', async () => {
  const sub = await record(broker.url, ['gloves/early/status']);
  // Stop synchronously as the camera reports it started, i.e. before recognition can
  // finish loading (polling for the line raced: on a quiet machine every component was up).
  let stopping: Promise<void> | null = null;
  const d = makeDaemon('early', {
    onLine: (l) => {
      if (!stopping && /INFO gloves: started camera/.test(l)) stopping = d.daemon.stop();
    },
  });
  try {
    const starting = d.daemon.start();
    await d.waitLine(/started camera/, 60_000);
    await starting;
    await stopping;
    assert.ok(stopping, 'stop was requested');
    assert.is((await d.daemon.done).code, 0);
    const started = d.lines.filter((l) => /INFO gloves: started /.test(l)).map((l) => /started ([\w-]+)/.exec(l)![1]);
    const stopped = d.lines.filter((l) => /DEBUG gloves: stopped /.test(l)).map((l) => /stopped ([\w-]+)/.exec(l)![1]);
    assert.equal(started, ['model-versions', 'camera', 'recognition'], d.lines.join('\n'));
    assert.equal(stopped, ['recognition', 'camera', 'model-versions']);
    assert.not.ok(d.lines.some((l) => /INFO gloves: ready/.test(l)));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sub.text('gloves/early/status'), [], 'mqtt never started');
  } finally {
    await d.daemon.stop();
    await sub.close();
  }
});

test.run();

/**
 * The real `gloves run` with inference.detectorWorker on (the detector's onnxruntime session in a worker
 * thread, one frame of lookahead): the shared clip's cat is named and its `seen` reaches the broker, then
 * SIGTERM ends the daemon promptly with exit 0 and without the worker's forced termination.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PetEvent } from '../../daemon/src/events/types.js';
import { catClip, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { enrolClipCat } from './support/clip-gallery.js';
import { startDaemon } from './support/daemon.js';
import { record } from './support/subscriber.js';

requireFixtures();
const ID = 'worker';
let dir: string;
let gallery: string;
let broker: Broker;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gloves-detworker-'));
  gallery = join(dir, 'gallery');
  broker = await startMosquitto({});
  await enrolClipCat(gallery, dir);
});
test.after(async () => {
  await broker?.stop();
});

/** Pids whose command line names `arg`. */
function processesWith(arg: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('detectorWorker: the clip cat is named and announced; SIGTERM exits 0 promptly and leaves no process', async () => {
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      camera: { uri: `file://${catClip}` },
      device: { id: ID, stateDir: join(dir, 'state') },
      gallery: { dir: gallery },
      mqtt: { url: broker.url, reconnectSeconds: 0.3 },
    }),
  );
  const ha = await record(broker.url, [`gloves/${ID}/events`]);
  const d = startDaemon(['--config', file], { GLOVES_INFERENCE__DETECTOR_WORKER: 'true' });
  try {
    await d.waitForLine(/models and gallery loaded .*"detectorWorker":true/, 60_000);
    await d.waitForLine(/INFO gloves:mqtt: event seen .*"pet":"Chair cat"/, 30_000);
    await ha.until(
      () => ha.json<PetEvent>(`gloves/${ID}/events`).some((e) => e.type === 'seen' && e.pet_id === 'chair_cat'),
      10_000,
      'the seen event on the broker',
    );
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    const exit = await Promise.race([d.exited(), new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    assert.ok(exit, `no exit within 10 s of SIGTERM:\n${d.output().slice(-3000)}`);
    assert.equal(exit, { code: 0, signal: null }, d.output().slice(-3000));
    assert.ok(Date.now() - t0 < 10_000);
    assert.not.match(d.output(), /did not close within/, 'no inference worker was terminated');
    assert.not.match(d.output(), /^(ERROR|FATAL)/m, d.output().slice(-3000));
    // The process is gone (the worker is a thread of it), and nothing it started runs with its config.
    assert.throws(() => process.kill(d.child.pid!, 0));
    assert.equal(processesWith(file), []);
  } finally {
    d.child.kill('SIGKILL');
    await ha.close();
  }
});

test.run();

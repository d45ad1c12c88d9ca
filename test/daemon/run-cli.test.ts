/** `gloves run` refuses to start with the reason, and runs over TLS with auth. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catsDir, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { record } from './support/subscriber.js';
import { buildSlideshow, cli, startDaemon } from './support/daemon.js';
import { receiver } from './support/notify-receiver.js';

let broker: Broker;
let dir: string;
let gallery: string;
let slides: string;

function cfg(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const base = (): string =>
  `camera:\n  uri: file://${slides}\n  slideshowFps: 2\ndevice:\n  id: clitest\n  stateDir: ${join(dir, 'state')}\ngallery:\n  dir: ${gallery}\n`;

// uvu reports nothing when a before-hook throws: print the reason.
test.before(() =>
  setup().catch((err: unknown) => {
    console.error('setup failed:', err);
    throw err;
  }),
);

async function setup(): Promise<void> {
  requireFixtures();
  dir = mkdtempSync(join(tmpdir(), 'gloves-runcli-'));
  broker = await startMosquitto({ users: { gloves: 'secret', ha: 'ha' }, tls: true });
  gallery = join(dir, 'gallery');
  const e = cli(['enroll', '--gallery', gallery, '--name', 'Koshka', join(catsDir, 'koshka', '01.jpg')]);
  assert.is(e.code, 0, e.stderr);
  slides = join(dir, 'slides');
  await buildSlideshow(slides, [{ image: 'blank', copies: 2 }]);
}

test.after(async () => {
  await broker?.stop();
});

test('malformed config: every problem reported at once, exit 1, nothing started', () => {
  const f = cfg('bad.yaml', 'mqtt:\n  protocolVersion: 7\n  bogus: 1\ntracking:\n  awayAfterSeconds: -3\n');
  const r = cli(['run', '--config', f]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error \[CONFIG_INVALID\]/);
  assert.match(r.stderr, /mqtt\.protocolVersion/);
  assert.match(r.stderr, /mqtt\.bogus: unknown key/);
  assert.match(r.stderr, /tracking\.awayAfterSeconds/);
  assert.not.match(r.stdout, /started camera/);
});

test('unknown flag is a usage error (exit 2)', () => {
  const r = cli(['run', '--cameraa', 'x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /error \[USAGE\]/);
});

test('corrupt gallery: refuses to start naming the component, and stops the camera it had started', () => {
  const bad = join(dir, 'badgallery');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'gallery.json'), '{"version": 1, "pets": "nope"');
  const r = cli(['run', '--config', cfg('g.yaml', base()), '--gallery', bad, '--mqtt', broker.url], {}, 120_000);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error \[GALLERY_CORRUPT\]: recognition: /);
  assert.match(r.stdout, /component recognition failed to start/);
  assert.match(r.stdout, /started camera/);
  // A missing gallery is not an error: the daemon starts empty, and pets are enrolled while it runs (test/http).
});

test('wrong MQTT password: clear startup error MQTT_AUTH, quickly', () => {
  const t0 = Date.now();
  const r = cli(
    ['run', '--config', cfg('pw.yaml', base() + `mqtt:\n  url: ${broker.url}\n  username: gloves\n  password: wrong\n`)],
    {},
    120_000,
  );
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error \[MQTT_AUTH\]: mqtt: .*refused the credentials/);
  assert.ok(Date.now() - t0 < 60_000);
});

test('TLS without the CA: MQTT_TLS; with CA + username/password over MQTT 5 it runs, flags override the config', async () => {
  const noCa = cli(
    ['run', '--config', cfg('tls0.yaml', base() + `mqtt:\n  url: ${broker.tlsUrl}\n  username: gloves\n  password: secret\n`)],
    {},
    120_000,
  );
  assert.is(noCa.code, 1);
  assert.match(noCa.stderr, /error \[MQTT_TLS\]/);

  const f = cfg(
    'tls.yaml',
    base() + `mqtt:\n  url: mqtt://127.0.0.1:1\n  ca: ${broker.caFile}\n  username: gloves\n  password: secret\n  protocolVersion: 5\n`,
  );
  const sub = await record(broker.tlsUrl!, ['gloves/tlsdev/#', 'homeassistant/#'], {
    username: 'ha',
    password: 'ha',
    ca: [readFileSync(broker.caFile!)],
  });
  const notify = await receiver(join(dir, 'notify.sock'));
  const d = startDaemon(['--config', f, '--mqtt', broker.tlsUrl!, '--device-id', 'tlsdev'], {
    NOTIFY_SOCKET: join(dir, 'notify.sock'),
    WATCHDOG_USEC: '1000000',
  });
  try {
    await sub.until(
      () => sub.text('gloves/tlsdev/status').includes('online') && sub.text('gloves/tlsdev/pets/koshka/state').length > 0,
      120_000,
      'online over TLS',
    );
    assert.ok(sub.messages.some((m) => m.topic === 'homeassistant/binary_sensor/gloves_tlsdev/koshka_presence/config'));
    // systemd: READY once up, then WATCHDOG from the frame loop (the first processed frame pings).
    const got = await notify.waitFor(3);
    assert.match(got[0]!, /^READY=1/);
    assert.is(got[1], 'WATCHDOG=1');
    d.child.kill('SIGTERM');
    const ex = await d.exited();
    assert.is(ex.code, 0, d.output().slice(-3000));
    await sub.until(() => sub.text('gloves/tlsdev/status').at(-1) === 'offline', 10_000, 'offline');
    assert.match(d.output(), /INFO gloves:mqtt: connected to broker/);
    // STOPPING on SIGTERM, and no WATCHDOG after it.
    for (let i = 0; i < 50 && notify.lines.at(-1) !== 'STOPPING=1'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.is(notify.lines.at(-1), 'STOPPING=1', notify.lines.join(' | '));
  } finally {
    notify.child.kill();
    d.child.kill('SIGKILL');
    await sub.close();
  }
});

test.run();

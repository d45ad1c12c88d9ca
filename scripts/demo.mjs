#!/usr/bin/env node
// The quick-start demo: every part of the product on the installed fixtures.
//   1. probe the sample clip (camera source);
//   2. enrol two cats from three photos each;
//   3. identify other photos of them, a cat that is not enrolled, and a photo without cats;
//   4. run the daemon on a slideshow against a private Mosquitto and print what Home Assistant would get.
// Everything it writes goes under .data/demo/ (recreated each run).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/daemon/src/cli/main.js');
const fx = join(root, '.fixtures');
const work = join(root, '.data/demo');
if (!existsSync(join(fx, 'cats'))) {
  console.error('fixtures are not installed: run scripts/setup.sh first');
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const gallery = join(work, 'gallery');
const cat = (name, n) => join(fx, 'cats', name, `${String(n).padStart(2, '0')}.jpg`);

function gloves(args, { allowFail = false } = {}) {
  process.stdout.write(`\n$ gloves ${args.map((a) => a.replace(root, '')).join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], {
    stdio: 'inherit',
    env: { ...process.env, GLOVES_LOG_LEVEL: 'warn', UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
  });
  if (r.status !== 0 && !allowFail) {
    console.error(`demo step failed (exit ${r.status})`);
    process.exit(1);
  }
  return r.status;
}

console.log('== 1. camera: probe the sample clip');
gloves(['probe', `file://${join(fx, 'video/cat_chair_640x338.mp4')}`, '--frames', '20']);

console.log('\n== 2. enrol two cats (three photos each)');
gloves(['enroll', '--gallery', gallery, '--name', 'Koshka', cat('koshka', 1), cat('koshka', 4), cat('koshka', 8), cat('koshka', 11)]);
gloves(['enroll', '--gallery', gallery, '--name', 'Roxy', cat('roxy', 1), cat('roxy', 5), cat('roxy', 9), cat('roxy', 13)]);

console.log('\n== 3. identify: other photos of Koshka and Roxy, a cat that is not enrolled (Leo), and a bus');
gloves([
  'identify',
  '--gallery',
  gallery,
  '--json',
  cat('koshka', 6),
  cat('roxy', 16),
  cat('leo', 10),
  join(fx, 'negatives/hpc203_bus.jpg'),
]);

console.log('\n== 4. the daemon on a slideshow, publishing to a private Mosquitto');
await daemonDemo();

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function daemonDemo() {
  const slides = join(work, 'slideshow');
  mkdirSync(slides);
  // Koshka, an empty room, Roxy, a stranger, a bus: each slide shown for a few frames.
  const blank = join(work, 'blank.jpg');
  const sharp = (await import('sharp')).default;
  await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 40, g: 40, b: 40 } } })
    .jpeg()
    .toFile(blank);
  const plan = [
    [cat('koshka', 6), 6],
    [cat('koshka', 12), 6],
    [blank, 8],
    [cat('roxy', 11), 6],
    [cat('roxy', 16), 6],
    [cat('leo', 10), 6],
    [cat('leo', 16), 6],
    [join(fx, 'negatives/hpc203_bus.jpg'), 6],
  ];
  let n = 0;
  for (const [f, copies] of plan) for (let i = 0; i < copies; i++) copyFileSync(f, join(slides, `${String(n++).padStart(3, '0')}.jpg`));
  const port = await freePort();
  const conf = join(work, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n`);
  // Debian installs the broker in /usr/sbin, off a non-root user's PATH.
  const bin = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'].map((d) => join(d, 'mosquitto')).find((f) => existsSync(f));
  if (!bin) throw new Error('mosquitto is not installed: run scripts/setup.sh');
  const broker = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const mqtt = await import('mqtt');
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
  sub.on('message', (topic, payload) => {
    if (topic.endsWith('/snapshot')) return void console.log(`  mqtt ${topic}: <jpeg ${payload.length} bytes>`);
    // Every discovery config in full: what Home Assistant will make of the device, entity by entity.
    if (topic.startsWith('homeassistant/'))
      return void console.log(`  mqtt ${topic}: ${payload.length === 0 ? '<removed>' : payload.toString()}`);
    const text = payload.toString();
    console.log(`  mqtt ${topic}: ${text.length > 300 ? text.slice(0, 300) + '...' : text}`);
  });
  await sub.subscribeAsync(['gloves/#', 'homeassistant/#']);
  const cfg = join(work, 'gloves.yaml');
  writeFileSync(
    cfg,
    `device:\n  id: demo\n  stateDir: ${join(work, 'state')}\ncamera:\n  slideshowFps: 2\n  width: 640\n  height: 480\ntracking:\n  minVotes: 2\n  awayAfterSeconds: 2\n`,
  );
  const status = gloves(
    [
      'run',
      '--config',
      cfg,
      '--camera',
      `file://${slides}`,
      '--mqtt',
      `mqtt://127.0.0.1:${port}`,
      '--gallery',
      gallery,
      '--http',
      'off',
      '--exit-at-end',
    ],
    { allowFail: true },
  );
  await new Promise((r) => setTimeout(r, 500));
  await sub.endAsync();
  broker.kill('SIGTERM');
  if (status !== 0) {
    console.error(`gloves run exited ${status}`);
    process.exit(1);
  }
}
console.log('\ndemo done: see README.md for what each step shows.');

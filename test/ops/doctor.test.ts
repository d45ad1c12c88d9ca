/**
 * `gloves doctor` against real parts: a private Mosquitto with a password, the real
 * models on onnxruntime, a GStreamer test pattern as the camera, a gallery on disk.
 * Each failure is made for real (a camera that is not there, a wrong password, a
 * corrupted model file, a gallery of another embedder); only the full disk is
 * simulated, through the statfs seam.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { runDoctor, type CheckResult, type DoctorOptions, type DoctorReport } from '../../daemon/src/ops/doctor.js';
import { openGallery, embedderModelId } from '../../daemon/src/recognition/index.js';
import { findManifest } from '../../daemon/src/models/manifest.js';
import { silentLogger } from '../../daemon/src/log/logger.js';

const PASSWORD = 'c0rrect-h0rse';
let broker: Broker;
let dir: string;
let gallery: string;

function writeConfig(name: string, overrides: Record<string, Record<string, unknown>> = {}): string {
  const base: Record<string, Record<string, unknown>> = {
    device: { id: 'doctor', stateDir: join(dir, 'state') },
    camera: { uri: 'test://smpte', width: 320, height: 180 },
    models: { dir: modelsDir },
    gallery: { dir: gallery },
    mqtt: { url: broker.url, username: 'gloves', connectTimeoutSeconds: 5 },
    http: { listen: '127.0.0.1:0' },
  };
  for (const [k, v] of Object.entries(overrides)) base[k] = { ...base[k], ...v };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(base, null, 2));
  return file;
}

function doctor(configFile: string, extra: Partial<DoctorOptions> = {}): Promise<DoctorReport> {
  return runDoctor({
    configFile,
    env: { GLOVES_MQTT__PASSWORD: PASSWORD },
    log: silentLogger(),
    cameraTimeoutMs: 10_000,
    mqttTimeoutMs: 5_000,
    ...extra,
  });
}

const row = (r: DoctorReport, name: string): CheckResult => {
  const c = r.checks.find((x) => x.name === name);
  assert.ok(c, `no ${name} row`);
  return c!;
};

test.before(async () => {
  requireFixtures();
  broker = await startMosquitto({ users: { gloves: PASSWORD } });
  dir = mkdtempSync(join(tmpdir(), 'gloves-doctor-'));
  mkdirSync(join(dir, 'state'));
  gallery = join(dir, 'gallery');
  const em = findManifest(manifestsDir, 'mobilenetv2-12-int8_pooled');
  const g = openGallery(gallery, embedderModelId(em), silentLogger(), { create: true });
  const embedding = new Float32Array(1280).map((_, i) => Math.cos(i));
  await g.addPhotos('Mittens', [
    { jpeg: new Uint8Array(100).fill(1), embedding, source: 'm.jpg', label: 'cat', score: 0.9, box: [0, 0, 10, 10] },
  ]);
});

test.after(async () => {
  await broker?.stop();
});

test('a healthy setup: every check ok, exit 0; the secrets file beside the config is used', () => {
  const cfg = writeConfig('healthy');
  writeFileSync(join(dir, 'secrets.env'), `# as provision.sh writes it\nGLOVES_MQTT__PASSWORD="${PASSWORD}"\n`, { mode: 0o600 });
  const run = spawnSync(process.execPath, [cliPath, 'doctor', '--config', cfg, '--json'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: withoutGloves(process.env),
  });
  assert.is(run.status, 0, run.stdout + run.stderr);
  const report = JSON.parse(run.stdout) as DoctorReport;
  assert.ok(report.ok);
  const names = report.checks.map((c) => c.name);
  for (const n of [
    'secrets',
    'config',
    'node',
    'clock',
    'gstreamer',
    'disk',
    'state',
    'camera',
    'models',
    'inference',
    'mqtt',
    'http',
    'gallery',
  ])
    assert.ok(names.includes(n), n);
  for (const c of report.checks) assert.is(c.status, 'ok', `${c.name}: ${c.detail}`);
  assert.is(row(report, 'http').detail, '127.0.0.1:0 can be bound (loopback), no token: read-only');
  assert.match(row(report, 'mqtt').detail, /as gloves/);
  assert.match(row(report, 'gallery').detail, /1 pets: Mittens/);
  assert.match(row(report, 'inference').detail, /onnxruntime/);
  const text = spawnSync(process.execPath, [cliPath, 'doctor', '--config', cfg], {
    encoding: 'utf8',
    timeout: 120_000,
    env: withoutGloves(process.env),
  });
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^CHECK\s+STATUS\s+DETAIL$/m);
  assert.match(text.stdout, /^OK: 13 ok, 0 warn, 0 fail, 0 skipped$/m);
});

test('several cameras: one row each; a missing one fails alone', async () => {
  const file = writeConfig('twocams');
  const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete c.camera;
  c.cameras = [
    { id: 'pattern', uri: 'test://smpte', width: 320, height: 180 },
    { id: 'gone', uri: 'v4l2:///dev/video97' },
  ];
  writeFileSync(file, JSON.stringify(c));
  const r = await doctor(file);
  assert.not.ok(r.ok);
  assert.not.ok(
    r.checks.some((x) => x.name === 'camera'),
    'no single camera row',
  );
  assert.is(row(r, 'camera pattern').status, 'ok');
  assert.match(row(r, 'camera pattern').detail, /test:\/\/smpte: 3 frames 320x180/);
  assert.is(row(r, 'camera gone').status, 'fail');
  assert.is(row(r, 'camera gone').code, 'SOURCE_NOT_FOUND');
  assert.is(row(r, 'gstreamer').status, 'ok');
});

test('a missing camera fails with its code and a fix; exit 1', async () => {
  const r = await doctor(writeConfig('nocam', { camera: { uri: 'v4l2:///dev/video97' } }));
  assert.not.ok(r.ok);
  const cam = row(r, 'camera');
  assert.is(cam.status, 'fail');
  assert.is(cam.code, 'SOURCE_NOT_FOUND');
  assert.match(cam.hint!, /ls \/dev\/video/);
  assert.is(row(r, 'mqtt').status, 'ok');
  const cli = spawnSync(process.execPath, [cliPath, 'doctor', '--config', join(dir, 'nocam.yaml'), '--mqtt-timeout', '5'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: withoutGloves(process.env),
  });
  assert.is(cli.status, 1);
  assert.match(cli.stdout, /^camera\s+fail\s+.*\[SOURCE_NOT_FOUND\]$/m);
  assert.match(cli.stdout, /^\s+fix: /m);
});

test('a wrong MQTT password fails as MQTT_AUTH', async () => {
  const r = await doctor(writeConfig('badpw'), { env: { GLOVES_MQTT__PASSWORD: 'wrong' } });
  const m = row(r, 'mqtt');
  assert.is(m.status, 'fail');
  assert.is(m.code, 'MQTT_AUTH');
  assert.match(m.hint!, /password/);
  assert.not.ok(r.ok);
});

test('a corrupted model file fails its sha256; inference is skipped', async () => {
  const copy = join(dir, 'models-copy');
  mkdirSync(copy);
  for (const f of readdirSync(modelsDir)) if (f.endsWith('.onnx')) copyFileSync(join(modelsDir, f), join(copy, f));
  const victim = join(copy, 'yolox_nano_416_coco.onnx');
  const bytes = readFileSync(victim);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  writeFileSync(victim, bytes);
  const r = await doctor(writeConfig('corrupt', { models: { dir: copy } }));
  const m = row(r, 'models');
  assert.is(m.status, 'fail');
  assert.is(m.code, 'SHA256_MISMATCH');
  assert.match(m.hint!, /gloves models install/);
  assert.is(row(r, 'inference').status, 'skip');
});

test('a full disk (simulated) fails; a low one warns', async () => {
  const cfg = writeConfig('disk');
  const full = await doctor(cfg, { statfs: () => ({ freeBytes: 10 * 1024 * 1024, totalBytes: 8e9 }) });
  assert.is(row(full, 'disk').status, 'fail');
  assert.is(row(full, 'disk').code, 'DISK_FULL');
  assert.not.ok(full.ok);
  const low = await doctor(cfg, { statfs: () => ({ freeBytes: 500 * 1024 * 1024, totalBytes: 8e9 }) });
  assert.is(row(low, 'disk').status, 'warn');
  assert.ok(low.ok, 'a warning is not a failure');
});

test('a gallery made by another embedder fails with the re-embed command', async () => {
  const other = join(dir, 'other-gallery');
  const g = openGallery(other, 'resnet50@0123456789ab', silentLogger(), { create: true });
  await g.addPhotos('Tom', [
    {
      jpeg: new Uint8Array(100).fill(2),
      embedding: new Float32Array(2048).fill(0.5),
      source: 't.jpg',
      label: 'cat',
      score: 0.9,
      box: [0, 0, 10, 10],
    },
  ]);
  const r = await doctor(writeConfig('othergallery', { gallery: { dir: other } }));
  const c = row(r, 'gallery');
  assert.is(c.status, 'fail');
  assert.is(c.code, 'GALLERY_MODEL_MISMATCH');
  assert.match(c.hint!, /--reembed/);
});

test('a clock before 2024 warns; an invalid config fails and skips what depends on it', async () => {
  const r = await doctor(writeConfig('clock'), { now: () => new Date('2020-01-01T00:00:00Z') });
  assert.is(row(r, 'clock').status, 'warn');
  assert.match(row(r, 'clock').hint!, /ntp/i);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'camera:\n  fps: fast\nmqtt:\n  bogus: 1\n');
  const b = await doctor(bad);
  assert.is(row(b, 'config').status, 'fail');
  assert.is(row(b, 'config').code, 'CONFIG_INVALID');
  assert.match(row(b, 'config').detail, /camera\.fps/);
  assert.match(row(b, 'config').detail, /mqtt\.bogus: unknown key/);
  assert.is(row(b, 'camera').status, 'skip');
  assert.is(row(b, 'node').status, 'ok');
});

function withoutGloves(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('GLOVES_')));
}

test.run();

/** The camera list (`cameras:`) and the single `camera:` section as a one-camera list. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cameraId, cameraList } from '../../daemon/src/camera/config.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { ConfigError } from '../../daemon/src/errors.js';

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'gloves-cams-')), 'c.yaml');
  writeFileSync(f, text);
  return f;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ConfigError);
    return [...(err as ConfigError).problems];
  }
  assert.unreachable('expected a ConfigError');
  return [];
}

test('no cameras list: the camera section is one camera whose id is its name (the topics so far)', () => {
  const c = loadConfig();
  assert.equal(c.cameras, []);
  const [only, ...rest] = cameraList(c.camera, c.cameras);
  assert.is(rest.length, 0);
  assert.is(only!.id, 'camera');
  assert.is(only!.name, 'camera');
  assert.is(only!.uri, 'test://smpte');
  const named = loadConfig({ file: file('camera:\n  name: hallway\n  uri: test://ball\n  fps: 5\n') });
  assert.equal(
    cameraList(named.camera, named.cameras).map((x) => [x.id, x.name, x.uri, x.fps]),
    [['hallway', 'hallway', 'test://ball', 5]],
  );
});

test('a name that is no slug gives a slug id; the name stays for display', () => {
  assert.is(cameraId('Back door'), 'Back_door');
  assert.is(cameraId('  ---'), 'camera');
  assert.is(cameraId('kitchen-2'), 'kitchen-2');
  const c = loadConfig({ file: file('camera:\n  name: Back door\n') });
  assert.equal(
    cameraList(c.camera, c.cameras).map((x) => [x.id, x.name]),
    [['Back_door', 'Back door']],
  );
});

test('a cameras list: each entry has its own source options and defaults; name defaults to the id', () => {
  const c = loadConfig({
    file: file(
      'cameras:\n  - id: cat_flap\n    name: Cat flap\n    uri: test://ball\n    fps: 5\n' +
        '  - id: kitchen\n    uri: rtsp://cam/k\n    reconnect:\n      maxMs: 2000\n',
    ),
  });
  const list = cameraList(c.camera, c.cameras);
  assert.equal(
    list.map((x) => [x.id, x.name, x.uri, x.fps, x.width, x.reconnect.maxMs, x.reconnect.initialMs]),
    [
      ['cat_flap', 'Cat flap', 'test://ball', 5, 640, 30000, 500],
      ['kitchen', 'kitchen', 'rtsp://cam/k', 10, 640, 2000, 500],
    ],
  );
});

test('all problems at once as path: message: duplicate and bad ids, bad URIs, unknown keys, both sections', () => {
  const p = problems(() =>
    loadConfig({
      file: file(
        'camera:\n  uri: test://ball\ncameras:\n  - id: a\n    uri: webcam://0\n  - id: a\n  - id: "no spaces"\n    colour: red\n  - name: x\n' +
          'mqtt:\n  protocolVersion: 7\n',
      ),
    }),
  );
  const has = (re: RegExp): void =>
    assert.ok(
      p.some((l) => re.test(l)),
      `${re} in:\n${p.join('\n')}`,
    );
  has(/^cameras\.0\.uri: invalid camera URI "webcam:\/\/0"/);
  has(/^cameras\.1\.id: duplicate camera id "a" \(also cameras\.0\.id\)$/);
  has(/^cameras\.2\.id: a slug/);
  has(/^cameras\.2\.colour: unknown key$/);
  has(/^cameras\.3\.id: /);
  has(/^mqtt\.protocolVersion: /);
  has(/^camera\.uri: not used when cameras lists cameras/);
  assert.ok(
    p.every((l) => /^[\w.]+: /.test(l)),
    p.join('\n'),
  );
});

test('--camera URI beside a cameras list is blamed on the command line', () => {
  const f = file('cameras:\n  - id: a\n    uri: test://ball\n');
  let err: ConfigError | undefined;
  try {
    loadConfig({ file: f, overrides: { 'camera.uri': 'test://smpte' } });
  } catch (e) {
    err = e as ConfigError;
  }
  // The default URI given explicitly changes nothing; another one is a conflict.
  assert.is(err, undefined);
  const p = problems(() => loadConfig({ file: f, overrides: { 'camera.uri': 'rtsp://x/y' } }));
  assert.equal(p, ['camera.uri: not used when cameras lists cameras: set it in each cameras entry instead']);
  try {
    loadConfig({ file: f, overrides: { 'camera.uri': 'rtsp://x/y' } });
  } catch (e) {
    assert.match((e as ConfigError).message, /camera\.uri from the command line/);
  }
});

test.run();

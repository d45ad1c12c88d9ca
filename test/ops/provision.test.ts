/**
 * scripts/provision.sh run for real into throwaway roots (see provision-support.ts for
 * the one stubbed seam). The tests share one target and run in order: dry run, real
 * run, re-runs, updates, enrolment, uninstall and purge.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '../../daemon/src/ops/envfile.js';
import { catsDir, requireFixtures } from '../helpers/paths.js';
import { copyPhotos, diffSnapshots, idOf, newTarget, provision, snapshot, source, takeCalls, type Target } from './provision-support.js';

// A password that strace would show verbatim (plain core) wrapped in the characters quoting must survive.
const CORE = 'Tr0ub4dor9x7Qwz';
const PASSWORD = `"${CORE}$HOME\`\\'`;
const FLAGS = [
  '--device-id',
  'kitchen',
  '--camera',
  'test://smpte',
  '--mqtt-url',
  'mqtt://127.0.0.1:1883',
  '--mqtt-user',
  'gloves-kitchen',
  '--mqtt-password-file',
  '-',
];
let t: Target;
let dryChanges: string[];

const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8);
const owner = (p: string): string => `${statSync(p).uid}:${statSync(p).gid}`;

test('bad input is refused with exit 2 naming the flag, before anything is touched', () => {
  const x = newTarget();
  const before = snapshot(x.root);
  for (const [args, flag] of [
    [['--device-id', 'my kitchen'], '--device-id'],
    [['--camera', 'ftp://cam'], '--camera'],
    [['--mqtt-url', 'http://broker'], '--mqtt-url'],
    [['--mqtt-password', 'hunter2'], '--mqtt-password'],
    [['--prefix', 'opt/gloves'], '--prefix'],
    [['--bogus'], '--bogus'],
  ] as const) {
    const r = provision(x, [...args]);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(flag), `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(diffSnapshots(before, snapshot(x.root)), []);
});

test('JetPack 4 (L4T R32, glibc 2.27) stops with the options and installs nothing', () => {
  const x = newTarget('ID=ubuntu\nVERSION_ID="18.04"\n', '# R32 (release), REVISION: 7.1, GCID: 1, BOARD: t210ref, EABI: aarch64\n');
  const before = snapshot(x.root);
  const r = provision(x, FLAGS, { input: 'pw\n', env: { STUB_GLIBC: '2.27' } });
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /JetPack 4/);
  assert.match(r.stderr, /nothing was installed/);
  assert.match(r.stderr, /Options:/);
  assert.equal(r.changes, []);
  assert.equal(diffSnapshots(before, snapshot(x.root)), []);
  assert.equal(takeCalls(x), []);
});

test('a dry run lists the changes and changes nothing', () => {
  t = newTarget();
  writeFileSync(join(t.stub, 'missing'), 'gstreamer1.0-libav\n');
  const before = snapshot(t.root);
  const r = provision(t, [...FLAGS, '--dry-run'], { input: PASSWORD + '\n' });
  assert.is(r.status, 0, r.stderr);
  dryChanges = r.changes;
  for (const want of [
    'apt-get install gstreamer1.0-libav',
    'sync /opt/gloves',
    'create user gloves',
    'create /etc/gloves/gloves.yaml',
    'create /etc/gloves/secrets.env',
    'install models',
  ]) {
    assert.ok(
      r.changes.some((c) => c.includes(want)),
      `no "${want}" in:\n${r.changes.join('\n')}`,
    );
  }
  assert.equal(diffSnapshots(before, snapshot(t.root)), []);
  assert.equal(takeCalls(t), []);
});

test("the real run makes exactly the dry run's changes; the secret is in no child's argv or environment", () => {
  const trace = join(t.dir, 'execve.log');
  const r = provision(t, FLAGS, { input: PASSWORD + '\n', strace: trace });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.changes, dryChanges);
  assert.equal(takeCalls(t), ['apt-get install gstreamer1.0-libav']);
  const log = readFileSync(trace, 'utf8');
  const execs = log.split('\n').filter((l) => l.includes('execve('));
  assert.ok(execs.length > 20, `strace saw only ${execs.length} execs`);
  assert.ok(
    execs.some((l) => l.includes('"rsync"')),
    'rsync was not traced',
  );
  assert.not.ok(log.includes(CORE), 'the password appears in an execve (argv or environment)');
  assert.match(r.stdout, /systemd is not running here/);
});

test('files, modes, owners, the user and the config', () => {
  const root = t.root;
  const uid = idOf(root, 'passwd', 'gloves');
  const gid = idOf(root, 'group', 'gloves');
  const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
  assert.match(passwd, new RegExp(`^gloves:x:${uid}:${gid}:[^:]*:/var/lib/gloves:/usr/sbin/nologin$`, 'm'));
  assert.match(readFileSync(join(root, 'etc', 'group'), 'utf8'), /^video:x:\d+:gloves$/m);
  const f = (p: string): string => join(root, p);
  assert.is(mode(f('etc/gloves/secrets.env')), '600');
  assert.is(owner(f('etc/gloves/secrets.env')), `${uid}:${gid}`);
  assert.is(mode(f('etc/gloves/gloves.yaml')), '640');
  assert.is(owner(f('etc/gloves/gloves.yaml')), `0:${gid}`);
  for (const d of ['var/lib/gloves', 'var/lib/gloves/gallery', 'var/lib/gloves/state', 'var/lib/gloves/engines']) {
    assert.is(mode(f(d)), '700', d);
    assert.is(owner(f(d)), `${uid}:${gid}`, d);
  }
  assert.is(owner(f('opt/gloves/dist')), '0:0');
  assert.is(mode(f('opt/gloves/bin/gloves')), '755');
  assert.is(mode(f('etc/systemd/system/gloves.service')), '644');
  assert.is(readFileSync(f('etc/systemd/system/gloves.service'), 'utf8'), readFileSync(join(source, 'systemd', 'gloves.service'), 'utf8'));
  assert.ok(
    existsSync(f('etc/sysusers.d/gloves.conf')) && existsSync(f('etc/tmpfiles.d/gloves.conf')) && existsSync(f('etc/logrotate.d/gloves')),
  );
  assert.is(
    readlinkSync(f('etc/systemd/system/multi-user.target.wants/gloves.service')),
    '/etc/systemd/system/gloves.service',
    'enabled offline',
  );
  // Runtime files only: no sources, tests or dev dependencies.
  for (const absent of ['daemon', 'test', 'node_modules/typescript', 'node_modules/uvu', 'node_modules/onnxruntime-node/bin/napi-v6/win32'])
    assert.not.ok(existsSync(f(`opt/gloves/${absent}`)), absent);
  assert.ok(existsSync(f('opt/gloves/.models/yolox_nano_416_coco.onnx')));
  const yaml = readFileSync(f('etc/gloves/gloves.yaml'), 'utf8');
  for (const line of [
    '  id: "kitchen"',
    '  uri: "test://smpte"',
    '  url: "mqtt://127.0.0.1:1883"',
    '  username: "gloves-kitchen"',
    '  dir: "/var/lib/gloves/gallery"',
    '  stateDir: "/var/lib/gloves/state"',
  ]) {
    assert.ok(yaml.split('\n').includes(line), `gloves.yaml lacks ${line}:\n${yaml}`);
  }
  assert.not.ok(yaml.includes(CORE), 'the password is in gloves.yaml');
  // systemd's EnvironmentFile syntax, read back exactly (quotes, $, backslash, backtick).
  assert.equal(parseEnvFile(readFileSync(f('etc/gloves/secrets.env'), 'utf8'), 'secrets.env'), { GLOVES_MQTT__PASSWORD: PASSWORD });
});

test('a second run changes nothing (same files, modes, owners, times); so does its dry run', () => {
  const before = snapshot(t.root);
  const again = provision(t, []);
  assert.is(again.status, 0, again.stderr);
  assert.equal(again.changes, []);
  const dry = provision(t, ['--dry-run']);
  assert.equal(dry.changes, []);
  assert.equal(diffSnapshots(before, snapshot(t.root)), []);
});

test('with systemd: reload, enable and start once; then nothing; an update restarts and keeps gallery and state', () => {
  let r = provision(t, [], { systemd: true });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.changes, ['change: systemctl enable gloves', 'change: systemctl start gloves']);
  assert.equal(takeCalls(t), [
    'systemctl is-enabled --quiet gloves',
    'systemctl enable gloves',
    'systemctl is-active --quiet gloves',
    'systemctl start gloves',
  ]);
  r = provision(t, [], { systemd: true });
  assert.equal(r.changes, []);
  assert.equal(takeCalls(t), ['systemctl is-enabled --quiet gloves', 'systemctl is-active --quiet gloves']);
  // The daemon's data, which an update must keep.
  const gallery = join(t.root, 'var/lib/gloves/gallery/gallery.json');
  const state = join(t.root, 'var/lib/gloves/state/outbox.jsonl');
  writeFileSync(gallery, '{"pets":[]}');
  writeFileSync(state, 'event\n');
  writeFileSync(join(t.dir, 'newpw'), 'n3w-pass\n');
  r = provision(t, ['--camera', 'test://ball', '--mqtt-password-file', join(t.dir, 'newpw')], { systemd: true });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.changes, [
    'change: update /etc/gloves/gloves.yaml (content)',
    'change: update /etc/gloves/provision.conf (content)',
    'change: update /etc/gloves/secrets.env (content)',
    'change: systemctl restart gloves',
  ]);
  assert.ok(takeCalls(t).includes('systemctl daemon-reload'));
  const yaml = readFileSync(join(t.root, 'etc/gloves/gloves.yaml'), 'utf8');
  assert.match(yaml, /uri: "test:\/\/ball"/);
  assert.match(yaml, /username: "gloves-kitchen"/, 'flags of the earlier run are kept');
  assert.equal(parseEnvFile(readFileSync(join(t.root, 'etc/gloves/secrets.env'), 'utf8'), 's'), { GLOVES_MQTT__PASSWORD: 'n3w-pass' });
  assert.is(readFileSync(gallery, 'utf8'), '{"pets":[]}');
  assert.is(readFileSync(state, 'utf8'), 'event\n');
});

test('drop-ins: a CSI camera gets the host /tmp, a broker outside the LAN is allowed; both go away again', () => {
  let r = provision(t, ['--camera', 'csi://0', '--mqtt-url', 'mqtts://203.0.113.7:8883']);
  assert.is(r.status, 0, r.stderr);
  const d = join(t.root, 'etc/systemd/system/gloves.service.d');
  assert.match(readFileSync(join(d, '20-csi.conf'), 'utf8'), /^PrivateTmp=no$/m);
  assert.match(readFileSync(join(d, '10-broker.conf'), 'utf8'), /^IPAddressAllow=203\.0\.113\.7$/m);
  r = provision(t, ['--camera', 'test://smpte', '--mqtt-url', 'mqtt://192.168.1.20:1883']);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.changes.includes('change: remove /etc/systemd/system/gloves.service.d/20-csi.conf'));
  assert.not.ok(existsSync(d), 'empty drop-in directory left behind');
});

test('--enrol adds a pet per folder, owned by the service user; a re-run skips photos already seen', () => {
  requireFixtures();
  const src = join(t.dir, 'photos');
  const cats = readdirSync(catsDir).sort().slice(0, 2);
  for (const c of cats) copyPhotos(join(catsDir, c), join(src, c === cats[0] ? 'Mittens' : 'Tom'), ['01.jpg', '02.jpg']);
  const gallery = join(t.root, 'var/lib/gloves/gallery');
  // The placeholder of the update test is not a gallery: start from an empty directory.
  rmSync(join(gallery, 'gallery.json'), { force: true });
  let r = provision(t, ['--enrol', src]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.changes, ['change: enrol Mittens (2 photos)', 'change: enrol Tom (2 photos)']);
  const doc = JSON.parse(readFileSync(join(gallery, 'gallery.json'), 'utf8')) as { pets: { name: string; photos: unknown[] }[] };
  assert.equal(doc.pets.map((p) => p.name).sort(), ['Mittens', 'Tom']);
  assert.is(owner(join(gallery, 'gallery.json')), `${idOf(t.root, 'passwd', 'gloves')}:${idOf(t.root, 'group', 'gloves')}`);
  r = provision(t, ['--enrol', src]);
  assert.equal(r.changes, []);
  copyPhotos(join(catsDir, cats[1]!), join(src, 'Tom'), ['03.jpg']);
  r = provision(t, ['--enrol', src, '--dry-run']);
  assert.equal(r.changes, ['change: enrol Tom (1 photos)']);
});

test('--uninstall removes everything but the data; --purge removes the data and the user', () => {
  let r = provision(t, ['--uninstall'], { systemd: true });
  assert.is(r.status, 0, r.stderr);
  assert.ok(takeCalls(t).includes('systemctl disable --now gloves'));
  for (const gone of [
    'opt/gloves',
    'etc/gloves',
    'etc/systemd/system/gloves.service',
    'etc/systemd/system/multi-user.target.wants/gloves.service',
    'etc/sysusers.d/gloves.conf',
    'etc/tmpfiles.d/gloves.conf',
    'etc/logrotate.d/gloves',
  ]) {
    assert.not.ok(existsSync(join(t.root, gone)), gone);
  }
  assert.ok(existsSync(join(t.root, 'var/lib/gloves/gallery/gallery.json')), 'the gallery was removed');
  assert.match(readFileSync(join(t.root, 'etc/passwd'), 'utf8'), /^gloves:/m);
  r = provision(t, ['--purge', '--dry-run']);
  assert.equal(r.changes, ['change: remove /var/lib/gloves', 'change: remove /var/log/gloves', 'change: delete user gloves']);
  r = provision(t, ['--purge']);
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(join(t.root, 'var/lib/gloves')));
  assert.not.match(readFileSync(join(t.root, 'etc/passwd'), 'utf8'), /^gloves:/m);
  assert.not.match(readFileSync(join(t.root, 'etc/group'), 'utf8'), /^gloves:/m);
  assert.equal(provision(t, ['--purge']).changes, []);
});

test('a release tarball (--pack) installs like the checkout', () => {
  const x = newTarget();
  const tarball = join(x.dir, 'gloves.tar.gz');
  const p = provision(x, ['--pack', tarball]);
  assert.is(p.status, 0, p.stderr);
  const r = provision(x, ['--from-tarball', tarball, '--device-id', 'porch', '--skip-packages']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.ok(existsSync(join(x.root, 'opt/gloves/.gloves-release')));
  assert.ok(existsSync(join(x.root, 'opt/gloves/node_modules/mqtt/package.json')));
  assert.match(readFileSync(join(x.root, 'etc/gloves/gloves.yaml'), 'utf8'), /id: "porch"/);
  assert.equal(provision(x, ['--from-tarball', tarball]).changes, []);
});

test.run();

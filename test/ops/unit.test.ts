/**
 * The systemd unit and its snippets, checked by systemd's own tools:
 * `systemd-analyze verify`, `systemd-analyze security --offline=yes` (exposure <= 2.5),
 * systemd-sysusers and systemd-tmpfiles applied to a throwaway root.
 * Skipped with the reason where systemd-analyze is missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const unitFile = join(repoRoot, 'systemd', 'gloves.service');
const unit = readFileSync(unitFile, 'utf8');
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const haveAnalyze = analyze.status === 0;
const MAX_EXPOSURE = 2.5;

/** The unit with its /opt/gloves paths pointing at this checkout (so ExecStart= exists), plus extra lines. */
function unitCopy(extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-unit-'));
  const file = join(dir, 'gloves.service');
  writeFileSync(file, unit.replaceAll('/opt/gloves', repoRoot.replace(/\/$/, '')).replace('[Install]', `${extra}\n[Install]`));
  return file;
}

function exposure(file: string): { score: number; text: string } {
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], { encoding: 'utf8' });
  const text = r.stdout + r.stderr;
  const m = /Overall exposure level for gloves\.service: ([\d.]+)/.exec(text);
  assert.ok(m, `no exposure level in:\n${text}`);
  return { score: Number(m![1]), text };
}

test('the unit keeps notify + watchdog + restart limits and has the hardening the issue asks for', () => {
  for (const line of [
    'Type=notify',
    'WatchdogSec=30',
    'Restart=on-failure',
    'StartLimitIntervalSec=10min',
    'StartLimitBurst=5',
    'TimeoutStartSec=15min',
    'User=gloves',
    'SupplementaryGroups=video render',
    'DevicePolicy=closed',
    'DeviceAllow=char-video4linux rw',
    'DeviceAllow=/dev/nvmap rw',
    'ProtectSystem=strict',
    'StateDirectory=gloves',
    'ConfigurationDirectory=gloves',
    'CapabilityBoundingSet=',
    'SystemCallFilter=@system-service',
    'RestrictNamespaces=yes',
    'MemoryDenyWriteExecute=no',
    'ProtectProc=invisible',
    'IPAddressDeny=any',
    'UMask=0077',
    'EnvironmentFile=-/etc/gloves/secrets.env',
  ]) {
    assert.ok(unit.split('\n').includes(line), `missing: ${line}`);
  }
  // No write access beyond the state directory: no LogsDirectory/ReadWritePaths.
  assert.not.match(unit, /^(LogsDirectory|ReadWritePaths|CacheDirectory)=/m);
});

test('systemd-analyze verify accepts the unit', () => {
  if (!haveAnalyze) {
    console.log('SKIP: systemd-analyze is not installed (apt-get install systemd)');
    return;
  }
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unitCopy()], { encoding: 'utf8' });
  const problems = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('gloves.service') && !/network-online|nvargus/.test(l));
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.equal(problems, []);
});

test(`systemd-analyze security --offline=yes rates the unit <= ${MAX_EXPOSURE}, also with the CSI drop-in`, () => {
  if (!haveAnalyze) {
    console.log('SKIP: systemd-analyze is not installed (apt-get install systemd)');
    return;
  }
  const plain = exposure(unitCopy());
  console.log(`exposure: ${plain.score} (${analyze.stdout.split('\n')[0]})`);
  assert.ok(plain.score <= MAX_EXPOSURE, plain.text);
  // provision.sh's drop-ins: a CSI camera needs the host /tmp; a broker by name turns IP filtering off.
  const csi = exposure(unitCopy('PrivateTmp=no'));
  assert.ok(csi.score <= MAX_EXPOSURE, csi.text);
  const broker = exposure(unitCopy('IPAddressDeny='));
  assert.ok(broker.score <= MAX_EXPOSURE, broker.text);
  console.log(`exposure with the CSI drop-in: ${csi.score}, with an unfiltered broker: ${broker.score}`);
});

test('sysusers.d creates the user (no login) in video and render; tmpfiles.d makes 0700 state owned by it', () => {
  const root = mkdtempSync(join(tmpdir(), 'gloves-sysusers-'));
  mkdirSync(join(root, 'etc'));
  const sysusers = join(repoRoot, 'systemd', 'sysusers.d', 'gloves.conf');
  const r = spawnSync('systemd-sysusers', ['--root', root, sysusers], { encoding: 'utf8' });
  if (r.error) {
    console.log('SKIP: systemd-sysusers is not installed');
    return;
  }
  assert.is(r.status, 0, r.stderr);
  const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
  assert.match(passwd, /^gloves:x:\d+:\d+:[^:]*:\/var\/lib\/gloves:\/usr\/sbin\/nologin$/m);
  const group = readFileSync(join(root, 'etc', 'group'), 'utf8');
  assert.match(group, /^video:x:\d+:gloves$/m);
  assert.match(group, /^render:x:\d+:gloves$/m);
  const t = spawnSync('systemd-tmpfiles', ['--root', root, '--create', join(repoRoot, 'systemd', 'tmpfiles.d', 'gloves.conf')], {
    encoding: 'utf8',
  });
  assert.is(t.status, 0, t.stderr);
  const uid = Number(/^gloves:x:(\d+):/m.exec(passwd)![1]);
  const st = statSync(join(root, 'var', 'lib', 'gloves', 'gallery'));
  assert.is(st.mode & 0o777, 0o700);
  assert.is(st.uid, uid);
});

test.run();

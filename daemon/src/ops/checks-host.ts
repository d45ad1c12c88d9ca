/** Doctor checks about the host: config, Node, clock, GStreamer, disk. */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { GlovesConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { cameraList } from '../camera/config.js';
import { buildPipeline, detectPlatform, parseSourceUri, type Platform } from '../camera/index.js';
import { result, type CheckResult } from './check-result.js';

export type StatFs = (path: string) => { freeBytes: number; totalBytes: number };

const MiB = 1024 * 1024;
/** Below this the state directory fails (the outbox and snapshots need room); below WARN it warns. */
export const DISK_FAIL_BYTES = 100 * MiB;
export const DISK_WARN_BYTES = 1024 * MiB;

export function checkConfig(file: string | undefined, env: NodeJS.ProcessEnv): { check: CheckResult; config: GlovesConfig | null } {
  try {
    const config = loadConfig({ file, env });
    return { check: result('config', 'ok', `valid (${file ?? 'defaults'} + GLOVES_* environment)`), config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      check: result(
        'config',
        'fail',
        err.problems.join('; '),
        `fix the keys named (\`gloves config keys\` lists them all), then \`gloves config check${file ? ` --config ${file}` : ''}\``,
        err.code,
      ),
      config: null,
    };
  }
}

export function checkNode(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= 20) return result('node', 'ok', `v${version}`);
  return result('node', 'fail', `v${version} is too old`, 'install Node.js 20 or newer (scripts/provision.sh does, from NodeSource)');
}

export function checkClock(now: Date): CheckResult {
  const year = now.getUTCFullYear();
  if (year >= 2024) return result('clock', 'ok', now.toISOString());
  return result(
    'clock',
    'warn',
    `the clock says ${now.toISOString()}: no RTC or NTP yet, event times would be wrong`,
    'enable time sync (`timedatectl set-ntp true`) or fit an RTC battery',
  );
}

/** Pure: element names of a gst-launch string (caps and properties left out). */
export function launchElements(launch: string): string[] {
  const names = new Set<string>();
  for (const segment of launch.split('!')) {
    const word = segment.trim().replace(/^\(+/, '').split(/\s+/)[0] ?? '';
    if (word && !word.includes('/') && !word.includes('=') && !word.includes('.')) names.add(word);
  }
  return [...names];
}

function gstInspect(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('gst-inspect-1.0', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { status: null, stdout: '' };
  return { status: r.status, stdout: r.stdout };
}

/** The GStreamer version and the elements the configured cameras (and a Jetson) need. */
export function checkGstreamer(config: GlovesConfig, platform: Platform = detectPlatform()): CheckResult {
  const v = gstInspect(['--version']);
  if (v.status === null)
    return result(
      'gstreamer',
      'fail',
      'gst-inspect-1.0 is not installed',
      'install gstreamer1.0-tools and the plugins (scripts/provision.sh does)',
    );
  const version = /GStreamer\s+([\d.]+)/.exec(v.stdout)?.[1] ?? 'unknown';
  const needed = new Set(['appsink', 'videoconvert', 'videoscale']);
  for (const cam of cameraList(config.camera, config.cameras)) {
    const spec = parseSourceUri(cam.uri);
    const isDir = spec.kind === 'file' && existsSync(spec.path) && statSync(spec.path).isDirectory();
    if (isDir) continue;
    try {
      const launch = buildPipeline(
        spec as Parameters<typeof buildPipeline>[0],
        { width: cam.width, height: cam.height, fps: cam.fps, realtime: true },
        platform,
      );
      for (const e of launchElements(launch)) needed.add(e);
    } catch {
      // csi:// off a Jetson and the like: the camera check reports it with its code
    }
  }
  if (platform.jetson) for (const e of ['nvarguscamerasrc', 'nvvidconv']) needed.add(e);
  const missing = [...needed].filter((e) => gstInspect(['--exists', e]).status !== 0);
  if (missing.length > 0) {
    const jetson = missing.some((e) => e.startsWith('nv'));
    return result(
      'gstreamer',
      'fail',
      `GStreamer ${version}: missing elements ${missing.join(', ')}`,
      jetson
        ? 'install nvidia-l4t-gstreamer (JetPack) and the GStreamer plugins'
        : 'install gstreamer1.0-plugins-{base,good,bad} and gstreamer1.0-libav (scripts/provision.sh does)',
    );
  }
  return result('gstreamer', 'ok', `GStreamer ${version}; ${needed.size} elements present (${[...needed].join(', ')})`);
}

function defaultStatFs(path: string): { freeBytes: number; totalBytes: number } {
  const s = statfsSync(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

function writable(dir: string): string | null {
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
}

/** Free space where the state lives, and that the state and gallery directories are writable. */
export function checkDisk(config: GlovesConfig, statfs: StatFs = defaultStatFs): CheckResult[] {
  const stateDir = resolve(config.device.stateDir);
  const { freeBytes, totalBytes } = statfs(nearestExisting(stateDir));
  const free = `${(freeBytes / MiB).toFixed(0)} MiB free of ${(totalBytes / MiB).toFixed(0)} MiB at ${stateDir}`;
  const hint = 'free space on that filesystem (old engines in inference.engineCacheDir, journal: `journalctl --vacuum-size=100M`)';
  const disk =
    freeBytes < DISK_FAIL_BYTES
      ? result('disk', 'fail', `${free}: too little for the outbox and snapshots`, hint, 'DISK_FULL')
      : freeBytes < DISK_WARN_BYTES
        ? result('disk', 'warn', `${free}: running low`, hint)
        : result('disk', 'ok', free);
  const problems: string[] = [];
  const absent: string[] = [];
  for (const [key, dir] of [
    ['device.stateDir', stateDir],
    ['gallery.dir', resolve(config.gallery.dir)],
  ] as const) {
    // Never created here: a directory made by root would lock the service user out.
    if (!existsSync(dir)) absent.push(`${key} ${dir}`);
    else {
      const why = writable(dir);
      if (why) problems.push(`${key} ${dir} is not writable (${why})`);
    }
  }
  const state =
    problems.length > 0
      ? result(
          'state',
          'fail',
          problems.join('; '),
          'run doctor as the service user (`sudo -u gloves gloves doctor ...`), or fix ownership: `chown -R gloves: /var/lib/gloves`',
          'STATE_NOT_WRITABLE',
        )
      : absent.length > 0
        ? result(
            'state',
            'warn',
            `${absent.join(', ')} does not exist yet`,
            'the service creates it at its first start; scripts/provision.sh creates it too',
          )
        : result('state', 'ok', `${stateDir} and ${resolve(config.gallery.dir)} are writable`);
  return [disk, state];
}

/**
 * `gloves doctor`: one table of checks, each ok / warn / fail / skip with a fix hint.
 * A check never throws: an unexpected error is its own `fail`. Checks that need
 * something an earlier check found broken (a valid config, verified models) are
 * `skip`ped with the reason, so the table points at the first cause.
 */
import type { Logger } from '../log/logger.js';
import { cameraList } from '../camera/config.js';
import type { Platform } from '../camera/index.js';
import { GlovesError } from '../errors.js';
import { result, type CheckResult, type CheckStatus } from './check-result.js';
import { checkClock, checkConfig, checkDisk, checkGstreamer, checkNode, type StatFs } from './checks-host.js';
import { checkCamera, checkGallery, checkHttp, checkInference, checkModels, checkMqtt, type VerifiedModels } from './checks-service.js';

export interface DoctorOptions {
  configFile?: string | undefined;
  /** Environment for the config (GLOVES_* layered over the file), secrets included. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  cameraTimeoutMs: number;
  mqttTimeoutMs: number;
  /** Rows computed before the checks (e.g. loading the secrets file). */
  preamble?: CheckResult[];
  /** Test seams. */
  statfs?: StatFs;
  now?: () => Date;
  platform?: Platform;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** Run `fn`, turning an unexpected throw into a failed row of that name. */
async function guarded(name: string, fn: () => Promise<CheckResult> | CheckResult): Promise<CheckResult> {
  try {
    return await fn();
  } catch (err) {
    const { code, message } = GlovesError.from(err);
    return result(name, 'fail', message, 'this is unexpected: please report it with `gloves doctor --json`', code);
  }
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [...(o.preamble ?? [])];
  const { check: configCheck, config } = checkConfig(o.configFile, o.env);
  checks.push(configCheck);
  checks.push(await guarded('node', () => checkNode()));
  checks.push(await guarded('clock', () => checkClock(o.now?.() ?? new Date())));
  const skip = (name: string, why: string): CheckResult => result(name, 'skip', why);
  if (!config) {
    for (const n of ['gstreamer', 'disk', 'camera', 'models', 'inference', 'mqtt', 'http', 'gallery'])
      checks.push(skip(n, 'config is invalid'));
    return report(checks);
  }
  checks.push(await guarded('gstreamer', () => checkGstreamer(config, o.platform)));
  checks.push(...(await guardedMany('disk', () => checkDisk(config, o.statfs))));
  // One row per camera: `camera` for the only one, `camera <id>` for each of several.
  const cameras = cameraList(config.camera, config.cameras);
  for (const cam of cameras) {
    const name = cameras.length === 1 ? 'camera' : `camera ${cam.id}`;
    checks.push(await guarded(name, () => checkCamera(cam, name, o.log, o.cameraTimeoutMs, o.platform)));
  }
  let models: VerifiedModels | null = null;
  checks.push(
    await guarded('models', () => {
      const r = checkModels(config);
      models = r.models;
      return r.check;
    }),
  );
  checks.push(
    models ? await guarded('inference', () => checkInference(config, models!, o.log)) : skip('inference', 'models did not verify'),
  );
  checks.push(await guarded('mqtt', () => checkMqtt(config, o.mqttTimeoutMs)));
  checks.push(await guarded('http', () => checkHttp(config)));
  checks.push(await guarded('gallery', () => checkGallery(config)));
  return report(checks);
}

async function guardedMany(name: string, fn: () => CheckResult[]): Promise<CheckResult[]> {
  try {
    return fn();
  } catch (err) {
    return [await guarded(name, () => Promise.reject(err))];
  }
}

function report(checks: CheckResult[]): DoctorReport {
  return { ok: !checks.some((c) => c.status === 'fail'), checks };
}

/** Pure: the human table. */
export function formatReport(r: DoctorReport): string[] {
  const w = Math.max(5, ...r.checks.map((c) => c.name.length));
  const lines = [`${'CHECK'.padEnd(w)}  STATUS  DETAIL`];
  for (const c of r.checks) {
    lines.push(`${c.name.padEnd(w)}  ${c.status.padEnd(6)}  ${c.detail}${c.code ? ` [${c.code}]` : ''}`);
    if (c.hint && (c.status === 'fail' || c.status === 'warn')) lines.push(`${''.padEnd(w)}  ${''.padEnd(6)}  fix: ${c.hint}`);
  }
  const count = (s: CheckStatus): number => r.checks.filter((c) => c.status === s).length;
  lines.push(`${r.ok ? 'OK' : 'FAILED'}: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail, ${count('skip')} skipped`);
  return lines;
}

export { result, type CheckResult, type CheckStatus } from './check-result.js';

/** `gloves doctor`: check a device end to end, one row per check with a fix hint. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt } from '../args.js';
import { GlovesError, UsageError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { formatReport, result, runDoctor, type CheckResult } from '../../ops/doctor.js';
import { readEnvFile } from '../../ops/envfile.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check this device: versions, camera, models, inference, broker, disk, clock, config, gallery',
  usage: `gloves doctor [--config FILE] [--json] [--env-file FILE] [--camera-timeout S] [--mqtt-timeout S]
  Runs every check and prints one table (ok / warn / fail / skip, with a fix for each problem).
  --config FILE      the config to check (default GLOVES_CONFIG; the service uses /etc/gloves/gloves.yaml)
  --env-file FILE    secrets as the unit loads them (default: secrets.env beside the config, when present);
                     variables already in the environment win
  --camera-timeout S give up on the camera after S seconds (default 15)
  --mqtt-timeout S   give up on the broker after S seconds (default 10)
  --json             print {"ok", "checks": [{name, status, detail, hint, code}]}
  Stop the service first for a camera that only one process may open (V4L2, CSI).
  Exit status 1 when any check fails, 0 otherwise (warnings included).`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('doctor', ctx.argv, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      'env-file': { type: 'string' },
      'camera-timeout': { type: 'string' },
      'mqtt-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    if (positionals.length > 0)
      throw new UsageError(`doctor: unexpected argument ${JSON.stringify(positionals[0])} (see \`gloves doctor --help\`)`, {
        command: 'doctor',
      });
    const cameraTimeoutMs = parsePositiveInt('doctor', values['camera-timeout'], '--camera-timeout', 15) * 1000;
    const mqttTimeoutMs = parsePositiveInt('doctor', values['mqtt-timeout'], '--mqtt-timeout', 10) * 1000;
    const configFile = values.config ?? ctx.env.GLOVES_CONFIG;
    const preamble: CheckResult[] = [];
    let env = ctx.env;
    const envFile =
      values['env-file'] ??
      (configFile && existsSync(join(dirname(configFile), 'secrets.env')) ? join(dirname(configFile), 'secrets.env') : undefined);
    if (envFile) {
      try {
        const vars = readEnvFile(envFile);
        env = { ...vars, ...ctx.env };
        preamble.push(result('secrets', 'ok', `${Object.keys(vars).length} variables from ${envFile}`));
      } catch (err) {
        if (!(err instanceof GlovesError)) throw err;
        const hint =
          err.code === 'ENV_FILE_UNREADABLE'
            ? 'run doctor as root or as the service user (`sudo -u gloves ...`) to use the secrets'
            : `fix ${envFile} (NAME="value" lines)`;
        preamble.push(result('secrets', 'warn', err.message, hint, err.code));
      }
    }
    // Component logs would interleave with the table: only errors, on stderr.
    const log = createLogger('gloves', { level: 'error', sink: (l) => ctx.stderr(l) });
    const report = await runDoctor({ configFile, env, log, cameraTimeoutMs, mqttTimeoutMs, preamble });
    if (values.json) ctx.stdout(JSON.stringify(report));
    else for (const line of formatReport(report)) ctx.stdout(line);
    // A camera or broker handle left behind must not keep the process alive.
    setTimeout(() => process.exit(), 3000).unref();
    return report.ok ? 0 : 1;
  },
};

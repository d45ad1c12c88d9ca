/**
 * Shared dispatcher for the `gloves` and `gloves-trainer` entry points.
 * Expected failures (GlovesError) print `error [CODE]: message` and exit 1
 * (2 for usage errors); anything else is a bug and prints its stack (exit 70).
 */
import { GlovesError } from '../errors.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { packageVersion } from '../util/paths.js';
import type { Command } from './command.js';

export interface Program {
  /** Executable name, also the root log namespace. */
  name: string;
  description: string;
  commands: readonly Command[];
}

export function programHelp(p: Program): string {
  const width = Math.max(...p.commands.map((c) => c.name.length));
  return [
    `${p.name}: ${p.description}`,
    '',
    `usage: ${p.name} <command> [options]   (${p.name} <command> --help for details; ${p.name} --version)`,
    '',
    'commands:',
    ...p.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function runProgram(p: Program, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  const out = (l: string): void => void process.stdout.write(l + '\n');
  const err = (l: string): void => void process.stderr.write(l + '\n');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(programHelp(p));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    out(`${p.name} ${packageVersion()} (node ${process.version})`);
    return 0;
  }
  const cmd = p.commands.find((c) => c.name === name);
  if (!cmd) {
    err(`error [USAGE]: unknown command ${JSON.stringify(name)}\n\n${programHelp(p)}`);
    return 2;
  }
  const levels: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];
  const wanted = env.GLOVES_LOG_LEVEL;
  if (wanted !== undefined && !levels.includes(wanted)) {
    err(`error [CONFIG_INVALID]: GLOVES_LOG_LEVEL=${JSON.stringify(wanted)} must be one of ${levels.join(', ')}`);
    return 1;
  }
  const level = (wanted as LogLevel | undefined) ?? 'info';
  // Logs go to stderr for one-shot commands so that `--json` stdout stays machine-readable.
  const log = createLogger(p.name, { level, sink: (l) => err(l) });
  try {
    return await cmd.run({ argv: rest, env, stdout: out, stderr: err, log });
  } catch (e) {
    if (e instanceof GlovesError) {
      err(`error [${e.code}]: ${e.message}`);
      return e.code === 'USAGE' ? 2 : 1;
    }
    err(`internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}

/** Run as the process entry point: sets the exit code, never calls process.exit. */
export function runAsMain(p: Program): void {
  // `gloves config show | head`: a reader that went away is not an error of ours. The daemon keeps running without
  // its log reader instead: exiting there, with camera pipelines live, hung in native teardown at full CPU and then
  // ignored SIGTERM (seen when the process reading `gloves run` was killed).
  const service = p.commands.find((c) => c.name === process.argv[2])?.service === true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (service) return;
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    });
  runProgram(p, process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`fatal: ${String(e)}\n`);
      process.exitCode = 70;
    },
  );
}

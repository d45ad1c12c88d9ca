#!/usr/bin/env node
/**
 * `gloves-trainer` entry point: the companion trainer's own command registry,
 * using the daemon's Command contract and error conventions
 * (`error [CODE]: message`, exit 1; usage errors exit 2).
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

import { GlovesError } from '../../../daemon/src/errors.js';
import { createLogger, type LogLevel } from '../../../daemon/src/log/logger.js';
import { trainerCommands } from './registry.js';

function help(): string {
  const width = Math.max(...trainerCommands.map((c) => c.name.length));
  return [
    'gloves-trainer: calibration sets, INT8 quantization and the INT8-vs-FP32 gate',
    '',
    'usage: gloves-trainer <command> [options]   (gloves-trainer <command> --help for details)',
    '',
    'commands:',
    ...trainerCommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  const out = (l: string): void => void process.stdout.write(l + '\n');
  const err = (l: string): void => void process.stderr.write(l + '\n');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 2;
  }
  const cmd = trainerCommands.find((c) => c.name === name);
  if (!cmd) {
    err(`error [USAGE]: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  const log = createLogger('gloves-trainer', { level: (env.GLOVES_LOG_LEVEL as LogLevel | undefined) ?? 'info', sink: (l) => err(l) });
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

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fatal: ${String(e)}\n`);
    process.exitCode = 70;
  },
);

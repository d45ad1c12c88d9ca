#!/usr/bin/env node
/**
 * `gloves` entry point. Expected failures (GlovesError) print `error [CODE]: message`
 * and exit 1 (2 for usage errors); anything else is a bug and prints its stack.
 */
// Each pending appsink pull and bus poll of gstreamer-superficial holds a libuv
// pool thread; the default 4 starves fs and inference. Must precede any pool use.
process.env.UV_THREADPOOL_SIZE ??= '16';

import { GlovesError } from '../errors.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { commands } from './registry.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'gloves: recognise individual pets on a camera and tell the house over MQTT',
    '',
    'usage: gloves <command> [options]   (gloves <command> --help for details)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    err(`error [USAGE]: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  const level = (env.GLOVES_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  // Logs go to stderr for one-shot commands so that `--json` stdout stays machine-readable.
  const log = createLogger('gloves', { level, sink: (l) => err(l) });
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

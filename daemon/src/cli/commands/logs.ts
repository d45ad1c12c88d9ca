/** `gloves logs`: the service's logs, from the journal under systemd, else from the log file. */
import { spawn } from 'node:child_process';
import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt } from '../args.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_LOG_FILE, DEFAULT_UNIT, chooseLogSource, findExecutable, systemdRunning, tailFile } from '../../ops/logs.js';

export const logsCommand: Command = {
  name: 'logs',
  summary: 'show the service logs (journalctl -u gloves under systemd, else the log file)',
  usage: `gloves logs [-f|--follow] [-n|--lines N] [--file FILE] [--unit NAME]
  Under systemd runs \`journalctl -u gloves -n N [-f]\`; without systemd (or with --file)
  prints the last N lines of ${DEFAULT_LOG_FILE} and, with --follow, what is appended,
  also across a log rotation.
  -n, --lines N   lines to show (default 100)
  --unit NAME     the systemd unit (default ${DEFAULT_UNIT})`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('logs', ctx.argv, {
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n' },
      file: { type: 'string' },
      unit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    if (positionals.length > 0)
      throw new UsageError(`logs: unexpected argument ${JSON.stringify(positionals[0])} (see \`gloves logs --help\`)`, { command: 'logs' });
    const lines = parsePositiveInt('logs', values.lines, '--lines', 100);
    const source = chooseLogSource({
      file: values.file,
      unit: values.unit ?? DEFAULT_UNIT,
      lines,
      follow: values.follow === true,
      // GLOVES_LOGS_SYSTEMD=0|1 overrides the detection (tests, containers with a journal).
      systemdRunning: ctx.env.GLOVES_LOGS_SYSTEMD ? ctx.env.GLOVES_LOGS_SYSTEMD === '1' : systemdRunning(),
      journalctl: findExecutable('journalctl', ctx.env),
    });
    if (source.kind === 'journal') {
      const child = spawn(source.command, source.args, { stdio: 'inherit' });
      const onInt = (): void => void child.kill('SIGINT');
      process.on('SIGINT', onInt);
      try {
        return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
      } finally {
        process.off('SIGINT', onInt);
      }
    }
    let release: () => void = () => {};
    const until = new Promise<void>((resolve) => (release = resolve));
    const onSignal = (): void => release();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await tailFile(source.file, { lines, follow: values.follow === true, until, write: (t) => void process.stdout.write(t) });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
};

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode, with its errors turned into UsageError naming the command. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message} (see \`gloves ${command} --help\`)`, { command });
  }
}

export function requireString(command: string, value: unknown, flag: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`${command}: ${flag} is required`, { command, flag });
  return value;
}

export function parsePositiveInt(command: string, value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${command}: ${flag} must be a positive integer, got ${JSON.stringify(value)}`, { command, flag });
  return n;
}

/**
 * Minimal structured logger. Writes one line per record to a sink (stdout by
 * default) as `LEVEL namespace: message {json}`; systemd/journald adds the time.
 *
 * There is no global instance: the composition root creates one and passes
 * `logger.child('ns')` into each component.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly namespace: string;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(namespace: string): Logger;
}

export type LogSink = (line: string) => void;

export interface LoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
  /** Prefix each line with an ISO timestamp (off under systemd, which stamps lines itself). */
  timestamps?: boolean;
}

export function createLogger(namespace = 'gloves', opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const sink: LogSink = opts.sink ?? ((line) => process.stdout.write(line + '\n'));
  const timestamps = opts.timestamps ?? false;
  const emit = (lv: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lv] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
    const ts = timestamps ? new Date().toISOString() + ' ' : '';
    sink(`${ts}${lv.toUpperCase()} ${namespace}: ${msg}${extra}`);
  };
  return {
    namespace,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (ns) => createLogger(`${namespace}:${ns}`, { level, sink, timestamps }),
  };
}

/** A logger that drops everything; for tests and library use. */
export function silentLogger(): Logger {
  return createLogger('silent', { level: 'silent' });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, val) => (val instanceof Error ? { message: val.message, code: (val as { code?: unknown }).code } : val));
  } catch {
    return '[unserialisable]';
  }
}

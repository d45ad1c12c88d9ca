/**
 * The secrets file of the service (/etc/gloves/secrets.env), in the subset of
 * systemd's EnvironmentFile= syntax that scripts/provision.sh writes and that a
 * POSIX shell's `. FILE` reads the same way:
 *
 *   # comment
 *   GLOVES_MQTT__PASSWORD="p\"a\$\\ss"
 *
 * Inside double quotes a backslash escapes `"`, `\`, `$` and `` ` ``; single-quoted
 * values are taken literally; bare values end at the line end (trailing blanks cut).
 * Errors: GlovesError ENV_FILE_INVALID naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { GlovesError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Pure: parse env-file text into name -> value pairs. */
export function parseEnvFile(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const eq = trimmed.indexOf('=');
    const name = eq > 0 ? trimmed.slice(0, eq).trim() : '';
    if (!NAME.test(name))
      throw new GlovesError('ENV_FILE_INVALID', `${source}:${i + 1}: expected NAME=VALUE`, { file: source, line: i + 1 });
    // Defined, not assigned: a line `__proto__=x` is a variable like any other, not a prototype change.
    Object.defineProperty(out, name, {
      value: parseValue(trimmed.slice(eq + 1).trim(), source, i + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function parseValue(raw: string, source: string, line: number): string {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end !== raw.length - 1)
      throw new GlovesError('ENV_FILE_INVALID', `${source}:${line}: unterminated or trailing text after a single-quoted value`, {
        file: source,
        line,
      });
    return raw.slice(1, end);
  }
  if (!raw.startsWith('"')) return raw;
  let value = '';
  for (let j = 1; j < raw.length; j++) {
    const c = raw[j]!;
    if (c === '\\' && j + 1 < raw.length && '"\\$`'.includes(raw[j + 1]!)) {
      value += raw[++j];
    } else if (c === '"') {
      if (j !== raw.length - 1)
        throw new GlovesError('ENV_FILE_INVALID', `${source}:${line}: trailing text after a double-quoted value`, { file: source, line });
      return value;
    } else {
      value += c;
    }
  }
  throw new GlovesError('ENV_FILE_INVALID', `${source}:${line}: unterminated double-quoted value`, { file: source, line });
}

/** Pure: quote a value so that parseEnvFile (and systemd, and sh) read it back unchanged. */
export function quoteEnvValue(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new GlovesError('ENV_VALUE_INVALID', 'a secret must not contain a newline or NUL', {});
  return `"${value.replace(/[\\"$`]/g, (c) => '\\' + c)}"`;
}

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new GlovesError('ENV_FILE_UNREADABLE', `cannot read ${file} (${code})`, { file, reason: code }, { cause: err });
  }
  return parseEnvFile(text, file);
}

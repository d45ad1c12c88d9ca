/**
 * Config loading: file (YAML or JSON) < GLOVES_* environment < explicit overrides.
 *
 * Contract:
 * - Every problem is collected and thrown once as a ConfigError whose
 *   `problems` are `path: message` strings (path in dotted form, e.g. `mqtt.url`).
 * - Unknown keys are errors, in the file and in the environment alike.
 * - Environment variables are `GLOVES_<SECTION>__<KEY>[__<KEY>...]`, keys in
 *   SCREAMING_SNAKE case mapped to camelCase (`GLOVES_MQTT__BASE_TOPIC` -> `mqtt.baseTopic`).
 *   Variables without `__` (GLOVES_CONFIG, GLOVES_MODEL_MIRROR) are not config keys.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../util/zod-issues.js';
import { configSchema, type GlovesConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Path of a YAML/JSON config file; omitted means defaults only. */
  file?: string | undefined;
  /** Environment to read GLOVES_* overrides from (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Highest-priority overrides, e.g. from command-line flags. Dotted paths allowed. */
  overrides?: Record<string, unknown>;
}

type Plain = Record<string, unknown>;

export function loadConfig(opts: LoadConfigOptions = {}): GlovesConfig {
  const problems: string[] = [];
  let base: Plain = {};
  // Where each key that is not from the file came from, so a problem names its real origin.
  const origins = new Map<string, string>();
  if (opts.file !== undefined) {
    const parsed = readConfigFile(opts.file, problems);
    if (parsed !== undefined) base = parsed;
  }
  if (opts.env) applyEnv(base, opts.env, problems, origins);
  for (const [path, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(base, path.split('.'), value);
    origins.set(path, 'the command line');
  }
  // Validate even when the file or env already had problems, so one run reports everything.
  const res = configSchema.safeParse(base);
  if (res.success && problems.length === 0) return res.data;
  if (!res.success) problems.push(...formatIssues(res.error.issues));
  throw new ConfigError(problems, describeSource(opts.file, problems, origins));
}

/**
 * `config.yaml`, or `defaults; camera.uri from the command line`: a problem with a key that the
 * environment or a flag set is not blamed on the file. Problems themselves stay `path: message`.
 */
function describeSource(file: string | undefined, problems: readonly string[], origins: ReadonlyMap<string, string>): string {
  const paths = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
  const blamed = [...origins].filter(([path]) => paths.has(path)).map(([path, origin]) => `${path} from ${origin}`);
  return [file ?? 'defaults', ...blamed].join('; ');
}

/** Pure: parse config text (YAML is a superset of JSON). */
export function parseConfigText(text: string, source: string, problems: string[]): Plain | undefined {
  let doc: unknown;
  try {
    // Warnings (an ambiguous alias...) would go to process.emitWarning, on stderr, outside the
    // logger and once per process: errors are what matter, and they are reported as problems.
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    problems.push(`${source}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    problems.push(`${source}: the top level must be a mapping of sections`);
    return undefined;
  }
  return doc as Plain;
}

function readConfigFile(file: string, problems: string[]): Plain | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  return parseConfigText(text, file, problems);
}

/** The GLOVES_<SECTION>__<KEY> variables of `env` that are config overrides (GLOVES_CONFIG and the like are not). */
export function envOverrideNames(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('GLOVES_') && name.includes('__') && env[name] !== undefined)
    .sort();
}

function applyEnv(target: Plain, env: NodeJS.ProcessEnv, problems: string[], origins: Map<string, string>): void {
  for (const name of envOverrideNames(env)) {
    const raw = env[name]!;
    const path = name.slice('GLOVES_'.length).split('__').map(snakeToCamel);
    const leaf = schemaAt(configSchema, path);
    if (!leaf) {
      problems.push(`${path.join('.')}: unknown key (from environment variable ${name})`);
      continue;
    }
    const value = coerceEnv(raw, leafKind(leaf));
    if (value === undefined) {
      problems.push(`${path.join('.')}: cannot parse ${name}=${JSON.stringify(raw)} as ${leafKind(leaf)}`);
      continue;
    }
    setPath(target, path, value);
    origins.set(path.join('.'), name);
  }
}

function snakeToCamel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function setPath(obj: Plain, path: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[path[path.length - 1]!] = value;
}

// zod 4 internals: only `def.type`, `def.innerType` and `def.shape` are used.
type AnySchema = { _zod: { def: { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema>; options?: AnySchema[] } } };

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  while (cur._zod.def.innerType) cur = cur._zod.def.innerType;
  return cur;
}

function schemaAt(root: unknown, path: string[]): AnySchema | undefined {
  let cur = unwrap(root as AnySchema);
  for (const key of path) {
    const shape = cur._zod.def.shape;
    // Own keys only: `in` would also find Object.prototype's (GLOVES_MQTT__CONSTRUCTOR crashed here).
    if (!shape || !Object.hasOwn(shape, key)) return undefined;
    cur = unwrap(shape[key]!);
  }
  return cur;
}

function leafKind(s: AnySchema): string {
  const t = s._zod.def.type;
  if (t === 'union') {
    const kinds = new Set((s._zod.def.options ?? []).map((o) => leafKind(unwrap(o))));
    return kinds.size === 1 ? [...kinds][0]! : 'json';
  }
  if (t === 'literal') return 'number';
  return t;
}

function coerceEnv(raw: string, kind: string): unknown {
  switch (kind) {
    case 'string':
    case 'enum':
      return raw;
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return undefined;
    default:
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return undefined;
      }
  }
}

/**
 * Pure: a flat, documented listing of every config key (path, type, default,
 * description) taken from the schema itself, so docs can never drift from it.
 */
import { configSchema } from './schema.js';

export interface KeyDoc {
  path: string;
  type: string;
  default: unknown;
  description: string;
  /** The environment variable that sets it; '' for a top-level key (`cameras`): variables need a section and a key. */
  env: string;
}

type Node = {
  _zod: {
    def: {
      type: string;
      innerType?: Node;
      shape?: Record<string, Node>;
      defaultValue?: unknown;
      entries?: Record<string, unknown>;
      options?: Node[];
    };
  };
  description?: string;
};

function typeName(n: Node): string {
  const d = n._zod.def;
  if (d.innerType) return typeName(d.innerType);
  if (d.type === 'enum')
    return Object.values(d.entries ?? {})
      .map((v) => JSON.stringify(v))
      .join(' | ');
  if (d.type === 'union') return (d.options ?? []).map(typeName).join(' | ');
  if (d.type === 'literal') return 'literal';
  return d.type;
}

function defaultOf(n: Node): unknown {
  let cur: Node | undefined = n;
  while (cur) {
    if (cur._zod.def.type === 'default') {
      const v = cur._zod.def.defaultValue;
      return typeof v === 'function' ? (v as () => unknown)() : v;
    }
    cur = cur._zod.def.innerType;
  }
  return undefined;
}

function descriptionOf(n: Node): string {
  let cur: Node | undefined = n;
  while (cur) {
    if (cur.description) return cur.description;
    cur = cur._zod.def.innerType;
  }
  return '';
}

function shapeOf(n: Node): Record<string, Node> | undefined {
  let cur: Node | undefined = n;
  while (cur) {
    if (cur._zod.def.shape) return cur._zod.def.shape;
    cur = cur._zod.def.innerType;
  }
  return undefined;
}

export function describeConfig(): KeyDoc[] {
  const out: KeyDoc[] = [];
  const walk = (n: Node, path: string[]): void => {
    const shape = shapeOf(n);
    if (shape) {
      for (const [k, child] of Object.entries(shape)) walk(child, [...path, k]);
      return;
    }
    out.push({
      path: path.join('.'),
      type: typeName(n),
      default: defaultOf(n),
      description: descriptionOf(n),
      env: path.length < 2 ? '' : 'GLOVES_' + path.map((p) => p.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()).join('__'),
    });
  };
  walk(configSchema as unknown as Node, []);
  return out;
}

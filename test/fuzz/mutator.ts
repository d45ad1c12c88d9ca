/**
 * A seeded mutator for the fuzz harness (./targets.ts, ./fuzz.test.ts, ./run.ts): the same seed
 * gives the same inputs, so a failure is reproduced by its seed and iteration number.
 *
 * Byte-level mutations (any format): bit flips, "interesting" bytes, truncation, deleted,
 * duplicated, inserted and overwritten chunks, and a splice with another seed. Value-level
 * mutations (JSON/YAML documents): a random node replaced by an interesting value, a key
 * deleted or added, an array emptied or repeated, deep nesting, long strings.
 */
import { rng } from '../helpers/rng.js';

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x0a, 0x22, 0x7b, 0x5b, 0x3a];

/** As JSON text, parsed afresh at every use: a value shared between two places could become circular. */
const INTERESTING_VALUES: readonly string[] = [
  'null',
  'true',
  '0',
  '-1',
  '1e308',
  '-1e308',
  String(2 ** 53),
  '0.5',
  '""',
  JSON.stringify('x'.repeat(10_000)),
  '"\\u0000"',
  '"../../etc/passwd"',
  '"%zz"',
  '"NaN"',
  '[]',
  '{}',
  '[[[[[[[[[[[]]]]]]]]]]]',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
];

export class Mutator {
  readonly random: () => number;

  constructor(seed: number) {
    this.random = rng(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** 1-4 stacked byte-level mutations of `seed` (a copy); `others` feed splices. */
  bytes(seed: Uint8Array, others: readonly Uint8Array[] = []): Uint8Array {
    let b: Buffer = Buffer.from(seed);
    const n = 1 + this.int(4);
    for (let k = 0; k < n; k++) b = this.once(b, others);
    return b;
  }

  private once(b: Buffer, others: readonly Uint8Array[]): Buffer {
    const at = (): number => this.int(b.length + 1);
    switch (this.int(9)) {
      case 0: {
        if (b.length === 0) return b;
        const c = Buffer.from(b);
        for (let i = 1 + this.int(8); i > 0; i--) {
          const p = this.int(c.length);
          c[p] = c[p]! ^ (1 << this.int(8));
        }
        return c;
      }
      case 1: {
        if (b.length === 0) return b;
        const c = Buffer.from(b);
        c[this.int(c.length)] = this.pick(INTERESTING_BYTES);
        return c;
      }
      case 2:
        return b.subarray(0, this.int(b.length));
      case 3: {
        const s = at();
        return Buffer.concat([b.subarray(0, s), b.subarray(Math.min(b.length, s + 1 + this.int(64)))]);
      }
      case 4: {
        const s = at();
        const chunk = b.subarray(s, s + 1 + this.int(256));
        return Buffer.concat([b.subarray(0, s), chunk, chunk, b.subarray(s + chunk.length)]);
      }
      case 5: {
        const s = at();
        const junk = Buffer.alloc(1 + this.int(32));
        for (let i = 0; i < junk.length; i++) junk[i] = this.int(256);
        return Buffer.concat([b.subarray(0, s), junk, b.subarray(s)]);
      }
      case 6: {
        // Overwrite with bytes from elsewhere in the same input (moves markers and lengths around).
        if (b.length < 2) return b;
        const c = Buffer.from(b);
        const from = this.int(c.length);
        const to = this.int(c.length);
        b.copy(c, to, from, from + 1 + this.int(16));
        return c;
      }
      case 7: {
        if (others.length === 0) return b;
        const o = Buffer.from(this.pick(others));
        return Buffer.concat([b.subarray(0, at()), o.subarray(this.int(o.length + 1))]);
      }
      default: {
        // A 32-bit field set to an extreme (sizes, counts, offsets in binary headers).
        if (b.length < 4) return b;
        const c = Buffer.from(b);
        c.writeUInt32BE(this.pick([0, 1, 0x7fffffff, 0xffffffff, 0x10000, 0xffff]), this.int(c.length - 3));
        return c;
      }
    }
  }

  private interesting(): unknown {
    return JSON.parse(this.pick(INTERESTING_VALUES));
  }

  /** A value-level mutation of a JSON-like document (a deep copy). */
  value(doc: unknown): unknown {
    const copy: unknown = JSON.parse(JSON.stringify(doc));
    // One structural change per document keeps it near the seed (deeper paths get exercised).
    const n = 1 + this.int(2);
    let out = copy;
    for (let k = 0; k < n; k++) out = this.mutateValue(out);
    return out;
  }

  private mutateValue(root: unknown): unknown {
    const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    // Not below depth 64: a deep-nesting mutation is not walked into again.
    const walk = (v: unknown, depth: number): void => {
      if (depth > 64) return;
      if (Array.isArray(v))
        v.forEach((x, i) => {
          nodes.push({ parent: v, key: i });
          walk(x, depth + 1);
        });
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          nodes.push({ parent: v as Record<string, unknown>, key: k });
          walk(x, depth + 1);
        }
    };
    walk(root, 0);
    if (nodes.length === 0 || this.int(20) === 0) return this.interesting();
    const { parent, key } = this.pick(nodes);
    const p = parent as Record<string | number, unknown>;
    switch (this.int(6)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete p[key];
        break;
      case 1:
        if (Array.isArray(parent)) parent.push(...parent.slice(0, 50));
        else p[`unknown_${this.int(100)}`] = this.interesting();
        break;
      case 2: {
        // Deep, but within what JSON.stringify (the generator) survives.
        let deep: unknown = 1;
        for (let i = 0; i < 1000; i++) deep = [deep];
        p[key] = deep;
        break;
      }
      case 3: {
        const v = p[key];
        p[key] = typeof v === 'number' ? this.pick([v * -1, v + 1e-9, v * 1e12, 0, Number.MAX_SAFE_INTEGER]) : this.interesting();
        break;
      }
      case 4: {
        const v = p[key];
        p[key] =
          typeof v === 'string' ? v.slice(0, this.int(v.length + 1)) + this.pick(['', '\u0000', '"', '\\', '\ud800', 'é']) : String(v);
        break;
      }
      default:
        p[key] = this.interesting();
    }
    return root;
  }
}

/**
 * The fuzz harness: a target (an entry point that parses outside input), its seeds and mutation,
 * and the judge. A defect is anything but a correct answer or a typed refusal: an untyped throw,
 * an INTERNAL code, a code the entry point has no business raising, an empty message, an "ok"
 * whose result breaks the contract (`broken`), or no answer within the timeout (a hang).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlovesError, isErrorCode } from '../../daemon/src/errors.js';
import { Mutator } from './mutator.js';

export interface FuzzTarget {
  name: string;
  /** Codes a refusal may carry. */
  codes: readonly string[];
  setup?(): Promise<void>;
  seeds(): Promise<Uint8Array[]>;
  mutate(m: Mutator, seeds: readonly Uint8Array[]): Uint8Array;
  /** Feeds one input; resolves 'ok' (after checking the result) or throws the entry point's error. */
  feed(input: Uint8Array): Promise<'ok'>;
  /** Checks made over the whole run (ha-status: every payload was handled); returns defects. */
  finish?(): Promise<string[]>;
  teardown?(): Promise<void>;
}

export interface Defect {
  iteration: number;
  what: string;
  input: Uint8Array;
}

export interface FuzzReport {
  target: string;
  iterations: number;
  outcomes: Record<string, number>;
  defects: Defect[];
  ms: number;
}

export class ContractBroken extends Error {}
export const broken = (what: string): never => {
  throw new ContractBroken(what);
};

/** Runs `iterations` mutated inputs (plus each seed once) through `t`. */
export async function fuzz(t: FuzzTarget, o: { iterations: number; seed: number; timeoutMs?: number }): Promise<FuzzReport> {
  const t0 = Date.now();
  const m = new Mutator(o.seed);
  const outcomes: Record<string, number> = {};
  const defects: Defect[] = [];
  await t.setup?.();
  try {
    const seeds = await t.seeds();
    const inputs = (i: number): Uint8Array => (i < seeds.length ? seeds[i]! : t.mutate(m, seeds));
    for (let i = 0; i < seeds.length + o.iterations; i++) {
      const input = inputs(i);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ContractBroken(`no answer within ${o.timeoutMs ?? 10_000} ms (hang)`)), o.timeoutMs ?? 10_000);
      });
      try {
        await Promise.race([t.feed(input), timeout]);
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch (err) {
        const what = judge(t, err);
        if (what) defects.push({ iteration: i, what, input });
        else outcomes[(err as GlovesError).code] = (outcomes[(err as GlovesError).code] ?? 0) + 1;
      } finally {
        clearTimeout(timer);
      }
    }
    for (const what of (await t.finish?.()) ?? []) defects.push({ iteration: -1, what, input: new Uint8Array() });
  } finally {
    await t.teardown?.();
  }
  return { target: t.name, iterations: o.iterations, outcomes, defects, ms: Date.now() - t0 };
}

/** Null for a correct refusal, else what is wrong with it. */
function judge(t: FuzzTarget, err: unknown): string | null {
  if (err instanceof ContractBroken) return err.message;
  if (!(err instanceof GlovesError)) return `untyped ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`;
  if (!isErrorCode(err.code) || !t.codes.includes(err.code)) return `unexpected code ${err.code}: ${err.message}`;
  if (err.message.trim().length < 10) return `no clear message for ${err.code}: "${err.message}"`;
  return null;
}

/** Half byte-level, half value-level (the document re-serialised as JSON, which YAML reads too). */
export function mutateDocument(m: Mutator, seeds: readonly Uint8Array[]): Uint8Array {
  const seed = m.pick(seeds);
  if (m.int(2) === 0) return m.bytes(seed, seeds);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(seed).toString('utf8'));
  } catch {
    return m.bytes(seed, seeds);
  }
  return Buffer.from(JSON.stringify(m.value(doc)) ?? '');
}

// Memory-backed where there is one: the outbox fsyncs every write, which a disk makes slow, not safer here.
export const scratch = (): string => mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gloves-fuzz-'));

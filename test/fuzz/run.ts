/**
 * Longer fuzz runs than the test suite's (./fuzz.test.ts), e.g. overnight or to reproduce a failure:
 *   node --import tsx test/fuzz/run.ts [--target NAME]... [--iterations N] [--seed S] [--out DIR]
 * Prints one JSON line per target (outcome counts, defects); failing inputs go to --out
 * (default a temp dir). Exit 1 when any target has a defect.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzz, targets } from './targets.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    iterations: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    out: { type: 'string' },
  },
});
const chosen = values.target ? targets.filter((t) => values.target!.includes(t.name)) : targets;
if (chosen.length === 0) {
  console.error(`no such target; targets: ${targets.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const t of chosen) {
  const r = await fuzz(t, { iterations: Number(values.iterations), seed: Number(values.seed) });
  let saved: string | undefined;
  if (r.defects.length > 0) {
    failed = true;
    saved = values.out ? join(values.out, t.name) : mkdtempSync(join(tmpdir(), `gloves-fuzz-${t.name}-`));
    mkdirSync(saved, { recursive: true });
    for (const d of r.defects) writeFileSync(join(saved, `${d.iteration}.bin`), d.input);
  }
  const defects = r.defects.slice(0, 20).map((d) => ({ iteration: d.iteration, what: d.what }));
  console.log(
    JSON.stringify({ target: t.name, seed: Number(values.seed), iterations: r.iterations, ms: r.ms, outcomes: r.outcomes, defects, saved }),
  );
}
process.exit(failed ? 1 : 0);

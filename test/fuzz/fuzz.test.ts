/**
 * Issue 11 point 8, the short run: 1,000 mutated inputs (plus the seeds) into every entry point
 * that parses outside input (./targets.ts), seeded so a failure reproduces:
 *   node --import tsx test/fuzz/run.ts --target NAME --seed N --iterations M
 * Nothing may crash or hang; each input is accepted (and the result checked) or refused with a
 * typed error of that entry point and a clear message. A failing input is written to a temp file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz, targets } from './targets.js';

const SEED = 20261207;
const ITERATIONS = 1000;

for (const t of targets) {
  test(`fuzz ${t.name}: ${ITERATIONS} mutated inputs, no crash, no hang, typed refusals only`, async () => {
    const r = await fuzz(t, { iterations: ITERATIONS, seed: SEED });
    console.error(`${t.name}: ${JSON.stringify(r.outcomes)} in ${r.ms} ms`);
    if (r.defects.length > 0) {
      const dir = mkdtempSync(join(tmpdir(), `gloves-fuzz-${t.name}-`));
      r.defects.forEach((d) => writeFileSync(join(dir, `${d.iteration}.bin`), d.input));
      const shown = r.defects.slice(0, 5).map((d) => `#${d.iteration}: ${d.what}`);
      assert.unreachable(`${r.defects.length} defects (inputs in ${dir}):\n${shown.join('\n')}`);
    }
    const total = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
    assert.ok(total >= ITERATIONS, `${total} inputs`);
  });
}

test.run();

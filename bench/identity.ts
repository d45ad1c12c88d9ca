/**
 * Cross-validated identity numbers (the protocol of `gloves eval --folds`) for
 * decision-rule variants, on a cache written by bench/embed-cache.ts. Prints JSON.
 *
 * usage: node --import tsx bench/identity.ts CACHE.json [--folds 3] [--json-opts '{"target":0.03,...}']...
 *   each --json-opts is one variant (RecipeOptions fields over DEFAULT_RECIPE); none = the defaults.
 */
import { readFileSync } from 'node:fs';
import { loadEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';
import { crossValidate, DEFAULT_RECIPE, type RecipeOptions } from '../daemon/src/evaluation/crossval.js';
import { evaluateSequences } from '../daemon/src/evaluation/sequences.js';

const args = process.argv.slice(2);
const file = args[0]!;
const folds = args.includes('--folds') ? Number(args[args.indexOf('--folds') + 1]) : 3;
const seqL = args.includes('--sequences') ? Number(args[args.indexOf('--sequences') + 1]) : 5;
const variants = args.flatMap((a, i) => (a === '--json-opts' ? [JSON.parse(args[i + 1]!) as Partial<RecipeOptions>] : []));
const { embedderModelId, items } = loadEmbeddedCache(readFileSync(file, 'utf8'), file);
for (const v of variants.length ? variants : [{}]) {
  const opts: RecipeOptions = { ...DEFAULT_RECIPE, ...v };
  const t0 = performance.now();
  const cv = crossValidate(items, embedderModelId, folds, opts);
  const seq = evaluateSequences(cv, seqL);
  console.log(
    JSON.stringify({
      variant: v,
      folds,
      top1: cv.top1,
      false_accept: cv.false_accept,
      predicted_false_accept: cv.predicted_false_accept,
      curve: cv.curve.map((c) => [c.max_false_accept, c.top1]),
      eer: cv.eer,
      spreadWeights: cv.folds.map((f) => f.rule.spreadWeight),
      thresholds: cv.folds.map((f) => f.rule.threshold),
      sequences: seq,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    }),
  );
}

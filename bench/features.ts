/**
 * Cross-validated identity numbers (the protocol of `gloves eval --folds`) for fused
 * features, on the caches bench/embed-cache.ts --variants writes. Prints JSON, one line per fusion.
 *
 * usage: node --import tsx bench/features.ts CACHE.json [--folds 3] [--sequences 5] [--fuse SPEC]...
 *   SPEC: variants joined by '+' ('base' = CACHE itself, NAME = CACHE's OUT.NAME.json), their unit
 *   embeddings averaged (multi-crop, test-time augmentation); 'base|face:W' concatenates the base
 *   with W x the face embedding (a missing face is zero, see fuseFace); 'base|face:W:mean' fills a
 *   missing face with the mean face of each fold's training cats instead (fitMissingMean).
 */
import { readFileSync } from 'node:fs';
import { loadEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';
import { crossValidate, DEFAULT_RECIPE } from '../daemon/src/evaluation/crossval.js';
import { evaluateSequences } from '../daemon/src/evaluation/sequences.js';
import type { EmbeddedPhoto } from '../daemon/src/evaluation/dataset.js';
import { averageEmbeddings, fitMissingMean, fuseFace } from '../daemon/src/evaluation/features.js';

const args = process.argv.slice(2);
const file = args[0]!;
const num = (name: string, dflt: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const folds = num('--folds', 3);
const seqL = num('--sequences', 5);
const specs = args.flatMap((a, i) => (a === '--fuse' ? [args[i + 1]!] : []));
const base = loadEmbeddedCache(readFileSync(file, 'utf8'), file);
const caches = new Map<string, EmbeddedPhoto[]>([['base', base.items]]);
const variant = (name: string): EmbeddedPhoto[] => {
  if (!caches.has(name)) {
    const f = file.replace(/\.json$/, `.${name}.json`);
    caches.set(name, loadEmbeddedCache(readFileSync(f, 'utf8'), f).items);
  }
  return caches.get(name)!;
};
for (const spec of specs.length ? specs : ['base']) {
  const [avg, face] = spec.split('|');
  let items = averageEmbeddings(avg!.split('+').map(variant));
  const [name, w, fill] = face ? face.split(':') : [];
  if (name) items = fuseFace(items, variant(name), Number(w ?? 1), fill === 'mean' ? 'nan' : 'zero');
  const t0 = performance.now();
  const cv = crossValidate(items, base.embedderModelId, folds, {
    ...DEFAULT_RECIPE,
    ...(fill === 'mean' ? { fitFeatures: fitMissingMean } : {}),
  });
  const seq = evaluateSequences(cv, seqL);
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      fuse: spec,
      folds,
      top1: r3(cv.top1),
      false_accept: r3(cv.false_accept),
      predicted_false_accept: cv.predicted_false_accept,
      curve: cv.curve.map((c) => [c.max_false_accept, r3(c.top1)]),
      eer: r3(cv.eer),
      sequences: seq,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    }),
  );
}

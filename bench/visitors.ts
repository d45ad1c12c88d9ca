/**
 * Visitors as local background, on sequences of the shared photos with the fold protocol
 * (daemon/src/evaluation/visitor-sequences.ts says how). Prints one JSON line per
 * (folds, after, guard, weight, seenBeforeEnrolment), then per folds the leave-one-fold-out
 * choice of (after, guard, weight): each fold scored with the options the OTHER folds liked best
 * (no pet track lost, fewest stranger tracks named), so the options are chosen without the scored cats.
 *
 * Also the cost per match of the rule: 3 pets, 0 or 50 visitors (the default maximum) of 5 crops.
 *
 * usage: node --import tsx bench/visitors.ts CACHE.json [--folds 3,5] [--weights 0,0.5,1,2,4]
 *          [--guards 0,0.05,0.1,0.2,-5] [--after 1,2,3]   (guard -5: no guard)
 *   CACHE.json from bench/embed-cache.ts (not data to commit).
 */
import { readFileSync } from 'node:fs';
import { loadEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';
import { crossValidate, DEFAULT_RECIPE } from '../daemon/src/evaluation/crossval.js';
import { evaluateVisitorBackground, type StrangerCase, type VisitorScenarioResult } from '../daemon/src/evaluation/visitor-sequences.js';
import { createMatcher } from '../daemon/src/recognition/matching/matcher.js';
import type { PopulationStats } from '../daemon/src/recognition/matching/stats.js';
import type { GalleryPet } from '../daemon/src/recognition/gallery/gallery.js';

const args = process.argv.slice(2);
const file = args[0];
if (!file) throw new Error('usage: visitors.ts CACHE.json [--folds 3,5] [--weights ...] [--guards ...] [--after ...]');
const list = (flag: string, dflt: number[]): number[] =>
  args.includes(flag) ? args[args.indexOf(flag) + 1]!.split(',').map(Number) : dflt;
const foldsList = list('--folds', [3, 5]);
const weights = list('--weights', [0, 0.5, 1, 2, 4]);
const guards = list('--guards', [0, 0.05, 0.1, 0.2, -5]);
const afters = list('--after', [1, 2, 3]);
const { embedderModelId, items } = loadEmbeddedCache(readFileSync(file, 'utf8'), file);

const summary = (r: VisitorScenarioResult) => ({
  strangers: r.strangers,
  became_background: r.became_background,
  later_tracks: r.later_tracks,
  later_named: r.later_named,
  later_unknown: r.later_unknown,
  later_pending: r.later_pending,
  later_same_visitor: r.later_same_visitor,
  pet_tracks: r.pet_tracks,
  pet_top1: r.pet_top1,
});

/** Per fold: later stranger tracks named, and pets' tracks named correctly (the loss the weight trades). */
function perFold(cases: readonly StrangerCase[], folds: number): { named: number; later: number; petOk: number; pets: number }[] {
  return Array.from({ length: folds }, (_, f) => {
    const cs = cases.filter((c) => c.fold === f);
    return {
      named: cs.reduce((a, c) => a + c.later.filter((l) => l.outcome === 'pet').length, 0),
      later: cs.reduce((a, c) => a + c.later.length, 0),
      petOk: cs.reduce((a, c) => a + c.petTracks.filter(([p, n]) => p === n).length, 0),
      pets: cs.reduce((a, c) => a + c.petTracks.length, 0),
    };
  });
}

/** Microseconds per matcher.match with `visitors` background visitors of 5 crops each (3 pets of 3 photos). */
function costPerMatch(stats: PopulationStats, visitors: number): number {
  const es = items.filter((i) => i.embedding).map((i) => i.embedding!);
  const pets: GalleryPet[] = [0, 1, 2].map((p) => ({
    id: `p${p}`,
    name: `p${p}`,
    createdAt: 't',
    photos: [0, 1, 2].map((k) => ({
      id: `${k}`,
      crop: '',
      source: '',
      label: 'cat',
      score: 1,
      box: [0, 0, 1, 1],
      addedAt: '',
      embedding: es[p * 3 + k]!,
    })),
  }));
  const groups = Array.from({ length: visitors }, (_, v) => Array.from({ length: 5 }, (_, k) => es[(9 + v * 5 + k) % es.length]!));
  const gallery = { embedderModelId: embedderModelId, revision: 1, pets: () => pets };
  const cfg = { prototypes: 'mean', topK: 1, population: true, flipTta: true, statsDir: '' } as const;
  const m = createMatcher(gallery, cfg, stats, { source: { groups: () => groups }, weight: visitors > 0 ? 1 : 0, guard: 0 });
  m.match(es[0]!);
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) m.match(es[i % es.length]!);
  return Math.round(((performance.now() - t0) * 1000) / n);
}

for (const folds of foldsList) {
  const t0 = performance.now();
  const cv = crossValidate(items, embedderModelId, folds, DEFAULT_RECIPE);
  const fitSeconds = Math.round((performance.now() - t0) / 100) / 10;
  if (folds === foldsList[0])
    console.log(
      JSON.stringify({
        cost_us_per_match: { visitors_0: costPerMatch(cv.folds[0]!.stats, 0), visitors_50: costPerMatch(cv.folds[0]!.stats, 50) },
      }),
    );
  /** Per option set `after/guard/weight`: per fold, without and with the pets seen before enrolment. */
  const byOpts = new Map<string, { plain: ReturnType<typeof perFold>; before: ReturnType<typeof perFold> }>();
  for (const after of afters)
    for (const guard of guards)
      for (const weight of weights) {
        if (weight === 0 && (guard !== guards[0] || after !== afters[0])) continue;
        const key = `${after}/${guard}/${weight}`;
        const runs = [false, true].map((seenBeforeEnrolment) => {
          const t1 = performance.now();
          const r = evaluateVisitorBackground(items, cv.folds, { after, weight, guard, seenBeforeEnrolment });
          const seconds = Math.round((performance.now() - t1) / 100) / 10;
          console.log(JSON.stringify({ folds, after, guard, weight, seenBeforeEnrolment, ...summary(r), seconds }));
          return perFold(r.cases, folds);
        });
        byOpts.set(key, { plain: runs[0]!, before: runs[1]! });
      }
  // Leave-one-fold-out choice: on the other folds, no pet track lost (either scenario) and the fewest stranger tracks
  // named; ties go to the safer options (larger guard, then smaller weight, then more sightings).
  const baseKey = `${afters[0]}/${guards[0]}/0`;
  const base = byOpts.get(baseKey)!;
  const total = (xs: ReturnType<typeof perFold>, k: 'named' | 'petOk' | 'later' | 'pets', skip = -1) =>
    xs.reduce((a, x, i) => (i === skip ? a : a + x[k]), 0);
  const order = [...byOpts.keys()].sort((x, y) => {
    const [ax, gx, wx] = x.split('/').map(Number) as [number, number, number];
    const [ay, gy, wy] = y.split('/').map(Number) as [number, number, number];
    return gy - gx || wx - wy || ay - ax;
  });
  const chosen: string[] = [];
  const sums = { named: 0, later: 0, petOk: 0, pets: 0, beforeOk: 0, beforePets: 0 };
  for (let f = 0; f < folds; f++) {
    let best: [string, number] | undefined;
    for (const k of order) {
      const o = byOpts.get(k)!;
      if (total(o.plain, 'petOk', f) < total(base.plain, 'petOk', f)) continue;
      if (total(o.before, 'petOk', f) < total(base.before, 'petOk', f)) continue;
      const cost = total(o.plain, 'named', f);
      if (!best || cost < best[1]) best = [k, cost];
    }
    const pick = byOpts.get(best![0])!;
    chosen.push(best![0]);
    sums.named += pick.plain[f]!.named;
    sums.later += pick.plain[f]!.later;
    sums.petOk += pick.plain[f]!.petOk;
    sums.pets += pick.plain[f]!.pets;
    sums.beforeOk += pick.before[f]!.petOk;
    sums.beforePets += pick.before[f]!.pets;
  }
  const r3 = (x: number, n: number): number => Math.round((x / (n || 1)) * 1000) / 1000;
  console.log(
    JSON.stringify({
      folds,
      nested: 'after/guard/weight chosen per fold on the other folds',
      chosen,
      later_named: sums.named,
      later_tracks: sums.later,
      pet_top1: r3(sums.petOk, sums.pets),
      pet_top1_seen_before_enrolment: r3(sums.beforeOk, sums.beforePets),
      baseline: {
        later_named: total(base.plain, 'named'),
        pet_top1: r3(total(base.plain, 'petOk'), sums.pets),
        pet_top1_seen_before_enrolment: r3(total(base.before, 'petOk'), sums.beforePets),
      },
      fit_seconds: fitSeconds,
    }),
  );
}

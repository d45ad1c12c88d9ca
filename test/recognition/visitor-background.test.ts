/**
 * Visitors as local background on the shared photos (real onnxruntime embeddings of
 * .fixtures/cats, evaluation/visitor-sequences.ts): with the fold protocol (statistics,
 * threshold and calibration fitted without the fold's cats, enrolled ones included), a
 * stranger who visits turns into a visitor, keeps its id over its later tracks, and once it
 * is background it is no longer named as the pet it resembles, while the enrolled pets still
 * are. Fold 4 of 5 holds the look-alike pair of the shared cats: ciko, named as leo on a
 * later track when visitors are not background. Ciko's visitor scores within 0.05 of leo's
 * naming threshold, so the default guard (0.2, which keeps pets seen before their enrolment
 * from becoming their own background: the last test) shields it; the look-alike case runs with
 * the guard at 0 and one sighting, the options that make it background.
 *
 * The embeddings are cached in the OS temporary folder, keyed by the embedder and the
 * photos' contents (evaluation/embedded-cache.ts), so a rerun skips the minute of inference.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../daemon/src/config/load.js';
import { DEFAULT_RECIPE, petFolds, petsOf, fitRecipe, ruleOf } from '../../daemon/src/evaluation/crossval.js';
import { embedDataset, listDataset, type EmbeddedPhoto } from '../../daemon/src/evaluation/dataset.js';
import { loadEmbeddedCache, saveEmbeddedCache } from '../../daemon/src/evaluation/embedded-cache.js';
import { evaluateVisitorBackground } from '../../daemon/src/evaluation/visitor-sequences.js';
import { createBackend } from '../../daemon/src/inference/select.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { embedderModelId as modelIdOf } from '../../daemon/src/recognition/embedding/embedder.js';
import { loadModels } from '../../daemon/src/recognition/load.js';
import { findManifest } from '../../daemon/src/models/manifest.js';
import { packagePath } from '../../daemon/src/recognition/load.js';
import { catsDir, requireFixtures } from '../helpers/paths.js';

requireFixtures();
const config = loadConfig({});
const log = silentLogger();

async function embeddedCats(): Promise<{ modelId: string; items: EmbeddedPhoto[] }> {
  const modelId = modelIdOf(findManifest(packagePath(config.models.manifestDir), config.models.embedder));
  const h = createHash('sha256');
  for (const pet of listDataset(catsDir)) for (const f of pet.photos) h.update(f).update(readFileSync(f));
  const sums = h.digest('hex').slice(0, 16);
  const cache = join(tmpdir(), `gloves-cats-${modelId.replace(/[^\w.-]/g, '_')}-${sums}.json`);
  if (existsSync(cache)) {
    const c = loadEmbeddedCache(readFileSync(cache, 'utf8'), cache);
    if (c.embedderModelId === modelId) return { modelId, items: c.items };
  }
  const models = await loadModels(config, createBackend(config.inference, log), log);
  try {
    const items = await embedDataset(listDataset(catsDir), models.detector, models.embedder, log);
    writeFileSync(cache, saveEmbeddedCache(modelId, items));
    return { modelId, items };
  } finally {
    await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
  }
}

const { modelId, items } = await embeddedCats();
const scored = petFolds(petsOf(items), 5).find((f) => f.includes('ciko'))!;
const fitted = fitRecipe(
  items.filter((i) => !scored.includes(i.pet)),
  modelId,
  DEFAULT_RECIPE,
);
const fold = { scored, stats: fitted.stats, rule: ruleOf(fitted.stats, DEFAULT_RECIPE) };

test('the fold is fitted without its cats, and holds the look-alike pair', () => {
  assert.equal(scored, ['ciko', 'leo', 'tretus']);
  for (const p of scored) assert.not.ok(fitted.fittedOn.includes(p), p);
});

test('a stranger becomes a visitor, keeps its id, and as background is no longer named as its look-alike pet', () => {
  const off = evaluateVisitorBackground(items, [fold], { weight: 0 });
  const on = evaluateVisitorBackground(items, [fold], { after: 1, guard: 0 });
  const ciko = (r: typeof on) => r.cases.find((c) => c.stranger === 'ciko')!;
  // Without background the look-alike is named leo on a later track: the case this is for.
  assert.ok(
    ciko(off).later.some((l) => l.named === 'leo'),
    `ciko's later tracks without background: ${JSON.stringify(ciko(off).later)}`,
  );
  const c = ciko(on);
  assert.ok(c.visitor, 'the visits made a visitor');
  assert.ok(c.sightings >= 1, `sightings ${c.sightings}`);
  assert.ok(on.became_background >= 2, `strangers made background: ${on.became_background} of 3`);
  assert.ok(
    c.visits.filter((v) => v.outcome === 'unknown').every((v) => v.visitor === c.visitor),
    `every unknown visit is the same visitor: ${JSON.stringify(c.visits)}`,
  );
  assert.ok(c.later.length > 0);
  assert.equal(
    c.later.map((l) => [l.outcome, l.visitor]),
    c.later.map(() => ['unknown', c.visitor]),
    'background: every later track is unknown, as the same visitor',
  );
  // Every stranger of the fold: never named more often with background than without.
  const named = (r: typeof on) => r.cases.flatMap((x) => x.later).filter((l) => l.outcome === 'pet').length;
  assert.ok(named(on) < named(off), `${named(on)} vs ${named(off)}`);
  // The enrolled pets are still named: the same tracks as without background, and most of them.
  assert.equal(
    on.cases.map((x) => x.petTracks),
    off.cases.map((x) => x.petTracks),
  );
  assert.ok(on.pet_top1 >= 0.9, String(on.pet_top1));
});

test('pets seen before they were enrolled are frequent visitors themselves, yet still named (the guard)', () => {
  const off = evaluateVisitorBackground(items, [fold], { weight: 0 });
  const on = evaluateVisitorBackground(items, [fold], { seenBeforeEnrolment: true });
  const unguarded = evaluateVisitorBackground(items, [fold], { seenBeforeEnrolment: true, guard: -5 });
  assert.ok(on.pet_top1 >= off.pet_top1, `${on.pet_top1} vs ${off.pet_top1}`);
  assert.ok(unguarded.pet_top1 < off.pet_top1, `without the guard a pet's own visitor poisons it: ${unguarded.pet_top1}`);
});

test.run();

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs } from '../../../../daemon/src/cli/index.js';
import { loadConfig } from '../../../../daemon/src/config/load.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { createBackend } from '../../../../daemon/src/inference/select.js';
import { DEFAULT_RECIPE, fitRecipe, petsOf } from '../../../../daemon/src/evaluation/index.js';
import { loadEmbeddedCache } from '../../../../daemon/src/evaluation/index.js';
import { embedConfiguredDataset } from '../../../../daemon/src/evaluation/index.js';
import { packagePath } from '../../../../daemon/src/recognition/index.js';
import { serializeStats, statsFileName } from '../../../../daemon/src/recognition/index.js';

export const fitStatsCommand: Command = {
  name: 'fit-stats',
  summary: 'fit the population statistics shipped for the embedder (models/stats) from a folder-per-pet dataset',
  usage: `gloves-trainer fit-stats [--dataset DIR | --embeddings CACHE.json] [--out DIR] [--target 0.03] [--inner-folds 3] [--inner-repeats 5] [--shots 3] [--config FILE]
  Fits, with exactly the code \`gloves eval --folds\` refits per fold (recognition/crossval.ts fitRecipe):
  the population mean and within-class whitening on every photo of DIR (default .fixtures/cats),
  then calibrates by cross-validation across its pets (inner folds: statistics refitted without
  the scored pets; --inner-repeats splits of --inner-folds, pooled) the spread weight, the unknown
  threshold at out-of-fold false accept --target for a stranger facing 4 enrolled pets, the
  confidence logistic and the per-pet LLR used by track evidence; records the out-of-fold estimate
  of false_accept (per number of enrolled pets) and top1 on pets never seen as calibration.predicted. Writes
  DIR_OUT/<embedderModelId>.json (default: the configured matching.statsDir). --embeddings reads a
  cache written by bench/embed-cache.ts instead of running the models.`,
  async run(ctx) {
    const { values } = parseCommandArgs('fit-stats', ctx.argv, {
      dataset: { type: 'string' },
      embeddings: { type: 'string' },
      out: { type: 'string' },
      target: { type: 'string' },
      'inner-folds': { type: 'string' },
      'inner-repeats': { type: 'string' },
      shots: { type: 'string' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const num = (v: string | undefined, flag: string, d: number, ok: (n: number) => boolean): number => {
      if (v === undefined) return d;
      const n = Number(v);
      if (!Number.isFinite(n) || !ok(n))
        throw new UsageError(`fit-stats: ${flag} is out of range: ${JSON.stringify(v)}`, { command: 'fit-stats', flag });
      return n;
    };
    if (values.dataset && values.embeddings)
      throw new UsageError('fit-stats: give --dataset or --embeddings, not both', { command: 'fit-stats' });
    const target = num(values.target, '--target', DEFAULT_RECIPE.target, (n) => n > 0 && n < 1);
    const innerFolds = num(values['inner-folds'], '--inner-folds', DEFAULT_RECIPE.innerFolds, (n) => Number.isInteger(n) && n >= 2);
    const innerRepeats = num(values['inner-repeats'], '--inner-repeats', DEFAULT_RECIPE.innerRepeats, (n) => Number.isInteger(n) && n >= 1);
    const shots = num(values.shots, '--shots', DEFAULT_RECIPE.shots, (n) => Number.isInteger(n) && n >= 1);
    const config = loadConfig({ file: values.config, env: ctx.env });
    const t0 = performance.now();
    let source: string;
    let data: { embedderModelId: string; items: ReturnType<typeof loadEmbeddedCache>['items'] };
    if (values.embeddings) {
      source = values.embeddings;
      data = loadEmbeddedCache(readFileSync(values.embeddings, 'utf8'), values.embeddings);
    } else {
      source = values.dataset ?? packagePath('.fixtures/cats');
      const d = await embedConfiguredDataset({
        datasetDir: source,
        config,
        log: ctx.log,
        backend: createBackend(config.inference, ctx.log),
      });
      data = d;
    }
    const fitted = fitRecipe(data.items, data.embedderModelId, { ...DEFAULT_RECIPE, target, innerFolds, innerRepeats, shots });
    const outDir = packagePath(values.out ?? config.matching.statsDir);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, statsFileName(data.embedderModelId));
    const embedded = data.items.filter((i) => i.embedding).length;
    const provenance = `${petsOf(data.items).length} pets, ${embedded} embedded photos of ${source.replace(packagePath(''), '')}; gloves-trainer fit-stats`;
    writeFileSync(file, JSON.stringify(serializeStats(fitted.stats, provenance), null, 1) + '\n');
    const c = fitted.stats.calibration;
    ctx.stdout(
      JSON.stringify({
        file,
        pets: fitted.fittedOn.length,
        photos: embedded,
        rank: fitted.stats.whitening?.rank,
        threshold: c.threshold,
        spreadWeight: c.spreadWeight,
        llr: c.llr,
        predicted: c.predicted,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
      }),
    );
    return 0;
  },
};

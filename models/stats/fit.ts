/**
 * Fits the population statistics shipped for the embedder from a dataset of
 * named pets (the 15 shared cats) and writes models/stats/<embedderModelId>.json.
 *
 * usage: node --import tsx models/stats/fit.ts [DATASET_DIR] [--target 0.08]
 * Statistics: the population mean (centring). Threshold: calibrated out of
 * sample by 5-fold cross-validation across cats (see recognition/calibrate.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/src/config/load.js';
import { createBackend } from '../../daemon/src/inference/select.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { embedDataset, listDataset } from '../../daemon/src/recognition/dataset.js';
import { embedderModelId } from '../../daemon/src/recognition/embedder.js';
import { loadModels, packagePath } from '../../daemon/src/recognition/load.js';
import { decisionRule } from '../../daemon/src/recognition/matcher.js';
import { fitConfidence, nestedEstimate, outOfFold, populationMean, thresholdFor } from '../../daemon/src/recognition/calibrate.js';
import { serializeStats, statsFileName, type PopulationStats } from '../../daemon/src/recognition/stats.js';

const args = process.argv.slice(2);
const dataset = args.find((a) => !a.startsWith('--')) ?? packagePath('.fixtures/cats');
const ti = args.indexOf('--target');
const target = ti >= 0 ? Number(args[ti + 1]) : 0.08;
const SHOTS = 3;
const FOLDS = 5;

const log = createLogger('fit-stats', { level: 'info', sink: (l) => process.stderr.write(l + '\n') });
const config = loadConfig({});
const backend = createBackend(config.inference, log);
const models = await loadModels(config, backend, log);
const modelId = embedderModelId(models.embedderManifest);
const pets = listDataset(dataset);
const items = await embedDataset(pets, models.detector, models.embedder, log);
await Promise.all([models.detector.dispose(), models.embedder.dispose()]);

const rule = decisionRule({ ...config.matching, population: false }, undefined);
const oof = outOfFold(items, SHOTS, FOLDS, rule, modelId);
const threshold = thresholdFor(oof.flat(), target);
const nested = nestedEstimate(oof, target);
const conf = fitConfidence(oof.flat(), threshold);
const stats: PopulationStats = {
  embedderModelId: modelId,
  dim: items.find((i) => i.embedding)!.embedding!.length,
  mean: populationMean(items),
  calibration: {
    threshold: Math.round(threshold * 10000) / 10000,
    margin: 0,
    slope: Math.round(conf.slope * 1000) / 1000,
    offset: Math.round(conf.offset * 1000) / 1000,
    method: `centre on population mean; ${config.matching.prototypes} prototype; crop margin ${config.detection.cropMargin}; flipTta ${config.matching.flipTta}; threshold at out-of-fold false-accept ${target}, ${FOLDS}-fold CV across cats, K=${SHOTS}`,
  },
};
const provenance = `${pets.length} pets, ${items.filter((i) => i.embedding).length} embedded photos of ${dataset.replace(packagePath(''), '')} (the shared cats)`;
const file = join(packagePath(config.matching.statsDir), statsFileName(modelId));
writeFileSync(file, JSON.stringify(serializeStats(stats, provenance), null, 1) + '\n');
console.log(JSON.stringify({ file, threshold: stats.calibration.threshold, slope: conf.slope, offset: conf.offset, nested }));

/**
 * Fits the population statistics shipped for the embedder from a dataset of
 * named pets (the 15 shared cats) and writes models/stats/<embedderModelId>.json.
 *
 * usage: node --import tsx models/stats/fit.ts [DATASET_DIR] [--target 0.07]
 * Statistics (recipe calibrate.RECIPE): the population mean and a within-class
 * whitening with shrinkage, fitted on all photos of the dataset. Decision rule:
 * mean prototype, score = cosine - SPREAD_WEIGHT * enrolment spread. Threshold:
 * calibrated out of sample by 5-fold cross-validation across cats (statistics
 * refitted on the other folds' cats; see recognition/calibrate.ts). `nested`
 * in the output is the cross-validated estimate of what that procedure gives.
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
import { RECIPE, WHITEN_SHRINK, fitConfidence, fitPopulation, meanSpread, nestedEstimate, outOfFold, thresholdFor } from '../../daemon/src/recognition/calibrate.js';
import { serializeStats, statsFileName, type PopulationStats } from '../../daemon/src/recognition/stats.js';

const args = process.argv.slice(2);
const dataset = args.find((a) => !a.startsWith('--') && !/^[0-9.]+$/.test(a)) ?? packagePath('.fixtures/cats');
const ti = args.indexOf('--target');
const target = ti >= 0 ? Number(args[ti + 1]) : 0.07;
const SHOTS = 3;
const FOLDS = 5;
/** Chosen by cross-validation across cats (0.3-0.5 best; 0.7+ over-corrects). */
const SPREAD_WEIGHT = 0.5;

const log = createLogger('fit-stats', { level: 'info', sink: (l) => process.stderr.write(l + '\n') });
const config = loadConfig({});
const backend = createBackend(config.inference, log);
const models = await loadModels(config, backend, log);
const modelId = embedderModelId(models.embedderManifest);
const pets = listDataset(dataset);
const items = await embedDataset(pets, models.detector, models.embedder, log);
await Promise.all([models.detector.dispose(), models.embedder.dispose()]);

const rule = { ...decisionRule({ ...config.matching, population: false, threshold: undefined, margin: undefined }, undefined), spreadWeight: SPREAD_WEIGHT };
const oof = outOfFold(items, SHOTS, FOLDS, rule, modelId);
const threshold = thresholdFor(oof.flat(), target);
const nested = nestedEstimate(oof, target);
const conf = fitConfidence(oof.flat(), threshold);
const fitted = fitPopulation(items, modelId);
const stats: PopulationStats = {
  ...fitted,
  calibration: {
    threshold: Math.round(threshold * 10000) / 10000,
    margin: 0,
    slope: Math.round(conf.slope * 1000) / 1000,
    offset: Math.round(conf.offset * 1000) / 1000,
    spreadWeight: SPREAD_WEIGHT,
    defaultSpread: Math.round(meanSpread(items, SHOTS, fitted) * 10000) / 10000,
    method: `${RECIPE}: centre + within-class whitening (shrink ${WHITEN_SHRINK}); ${config.matching.prototypes} prototype; score - ${SPREAD_WEIGHT} x enrolment spread; crop margin ${config.detection.cropMargin}; flipTta ${config.matching.flipTta}; threshold at out-of-fold false-accept ${target}, ${FOLDS}-fold CV across cats, K=${SHOTS}`,
  },
};
const provenance = `${pets.length} pets, ${items.filter((i) => i.embedding).length} embedded photos of ${dataset.replace(packagePath(''), '')} (the shared cats)`;
const file = join(packagePath(config.matching.statsDir), statsFileName(modelId));
writeFileSync(file, JSON.stringify(serializeStats(stats, provenance), null, 1) + '\n');
console.log(JSON.stringify({ file, rank: stats.whitening?.rank, threshold: stats.calibration.threshold, defaultSpread: stats.calibration.defaultSpread, slope: conf.slope, offset: conf.offset, nested }));

/**
 * Embeds a folder-per-pet dataset once with the daemon's detector and embedder and
 * writes the embeddings to a JSON cache (for bench/identity.ts; the cache is not data to commit).
 *
 * usage: node --import tsx bench/embed-cache.ts [DATASET_DIR] OUT.json
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../daemon/src/config/load.js';
import { createBackend } from '../daemon/src/inference/select.js';
import { createLogger } from '../daemon/src/log/logger.js';
import { embedDataset, listDataset } from '../daemon/src/evaluation/dataset.js';
import { embedderModelId } from '../daemon/src/recognition/embedding/embedder.js';
import { loadModels, packagePath } from '../daemon/src/recognition/load.js';
import { saveEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';

const args = process.argv.slice(2);
const out = args.pop();
if (!out) throw new Error('usage: embed-cache.ts [DATASET_DIR] OUT.json');
const dataset = args[0] ?? packagePath('.fixtures/cats');
const log = createLogger('embed-cache', { level: 'info', sink: (l) => process.stderr.write(l + '\n') });
const config = loadConfig({});
const models = await loadModels(config, createBackend(config.inference, log), log);
const t0 = performance.now();
const items = await embedDataset(listDataset(dataset), models.detector, models.embedder, log);
await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
writeFileSync(out, saveEmbeddedCache(embedderModelId(models.embedderManifest), items));
console.log(
  JSON.stringify({
    out,
    photos: items.length,
    embedded: items.filter((i) => i.embedding).length,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  }),
);

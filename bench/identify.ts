/**
 * Per-stage latency of `identify` on the shared cat photos (onnxruntime CPU).
 * usage: node --import tsx bench/identify.ts [N_IMAGES=60] [--threads T]
 * Prints JSON: median/p90 ms per stage (decode, preprocess, detect, crop+embed, match) and images/s.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../daemon/src/config/load.js';
import { createBackend } from '../daemon/src/inference/select.js';
import { silentLogger } from '../daemon/src/log/logger.js';
import {
  createMatcher,
  loadModels,
  loadStats,
  embedderModelId,
  packagePath,
  postprocessDetections,
  inputSize,
} from '../daemon/src/recognition/index.js';
import type { GalleryView } from '../daemon/src/recognition/gallery/gallery.js';
import { decodeImageFile } from '../daemon/src/vision/decode.js';
import { preprocess } from '../daemon/src/vision/preprocess.js';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
const ti = args.indexOf('--threads');
const config = loadConfig({ overrides: ti >= 0 ? { 'inference.threads': Number(args[ti + 1]) } : {} });
const log = silentLogger();
const backend = createBackend(config.inference, log);
const models = await loadModels(config, backend, log);
const dm = models.detectorManifest;
const [w, h] = inputSize(dm);
const dSession = await backend.load(dm, join(packagePath(config.models.dir), dm.file), { threads: config.inference.threads });
const stats = loadStats(packagePath(config.matching.statsDir), embedderModelId(models.embedderManifest));

const catsDir = packagePath('.fixtures/cats');
const files = readdirSync(catsDir)
  .filter((d) => !d.endsWith('.json'))
  .sort()
  .flatMap((c) =>
    readdirSync(join(catsDir, c))
      .sort()
      .map((f) => join(catsDir, c, f)),
  );
const pick = Array.from(
  { length: Math.min(n, files.length) },
  (_, i) => files[Math.floor((i * files.length) / Math.min(n, files.length))]!,
);

// A 15-pet gallery of random unit vectors: matching cost depends on size, not content.
const pets = Array.from({ length: 15 }, (_, p) => ({
  id: `p${p}`,
  name: `p${p}`,
  createdAt: '',
  photos: Array.from({ length: 3 }, (_, k) => ({
    id: `${p}${k}`,
    crop: '',
    source: '',
    label: 'cat' as const,
    score: 1,
    box: [0, 0, 1, 1] as [number, number, number, number],
    addedAt: '',
    embedding: new Float32Array(1280).map(() => Math.random()),
  })),
}));
const gallery: GalleryView = { embedderModelId: models.embedder.modelId, revision: 1, pets: () => pets };
const matcher = createMatcher(gallery, config.matching, stats);

const stages: Record<string, number[]> = { decode: [], preprocess: [], detect: [], crop_embed: [], match: [], total: [] };
const now = () => performance.now();
// warm-up
for (const f of pick.slice(0, 3)) {
  const img = await decodeImageFile(f);
  const d = await models.detector.detect(img);
  await models.embedder.embed(
    img,
    d.map((x) => x.box),
  );
}
const t0 = now();
let animals = 0;
for (const f of pick) {
  const a = now();
  const img = await decodeImageFile(f);
  const b = now();
  const { tensor, transform } = preprocess(img, dm.preprocess, w, h);
  const c = now();
  const out = await dSession.run({ [dm.inputs[0]!.name]: { dims: [1, 3, h, w], data: tensor } });
  const o = out[dm.outputs[0]!.name]!;
  const dets = postprocessDetections(dm, o.data, o.dims, transform, img, {
    minScore: config.detection.minScore,
    nmsIou: config.detection.nmsIou,
    crossClassIou: config.detection.crossClassIou,
    labels: config.detection.labels,
  });
  const d = now();
  const embs = await models.embedder.embed(
    img,
    dets.map((x) => x.box),
  );
  const e = now();
  for (const v of embs) matcher.match(v);
  const g = now();
  animals += dets.length;
  stages.decode!.push(b - a);
  stages.preprocess!.push(c - b);
  stages.detect!.push(d - c);
  stages.crop_embed!.push(e - d);
  stages.match!.push(g - e);
  stages.total!.push(g - a);
}
const elapsed = (now() - t0) / 1000;
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 100) / 100;
};
const result = {
  images: pick.length,
  animals,
  threads: config.inference.threads,
  flipTta: config.matching.flipTta,
  ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { median: q(v, 0.5), p90: q(v, 0.9) }])),
  images_per_s: Math.round((pick.length / elapsed) * 10) / 10,
  note: 'detect = session.run + YOLOX decode/NMS; crop_embed includes flip TTA (2 embedder runs) when enabled; shared 2-core machine, noisy',
};
console.log(JSON.stringify(result));
await Promise.all([models.detector.dispose(), models.embedder.dispose(), dSession.dispose()]);

/**
 * Embeds a folder-per-pet dataset once with the daemon's detector and embedder and
 * writes the embeddings to a JSON cache (for bench/identity.ts; the cache is not data to commit).
 *
 * With --variants, the same pass also writes one cache per crop variant of the best
 * box, OUT.<variant>.json (for bench/features.ts, which fuses them): other margins
 * (multi-crop), small shifts and scales (test-time augmentation), and with --face
 * CASCADE.xml the cat face the cascade finds in the upper body, grown by --face-margin (no face: null).
 * Every variant is embedded with the configured mirrored-crop averaging.
 *
 * usage: node --import tsx bench/embed-cache.ts [DATASET_DIR] OUT.json [--variants] [--face CASCADE.xml [--face-margin 0.1]]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../daemon/src/config/load.js';
import { createBackend } from '../daemon/src/inference/select.js';
import { createLogger } from '../daemon/src/log/logger.js';
import { embedDataset, listDataset, type EmbeddedPhoto } from '../daemon/src/evaluation/dataset.js';
import { embedderModelId } from '../daemon/src/recognition/embedding/embedder.js';
import { loadModels, packagePath } from '../daemon/src/recognition/load.js';
import { saveEmbeddedCache } from '../daemon/src/evaluation/embedded-cache.js';
import { cropRegion } from '../daemon/src/recognition/embedding/crop.js';
import { decodeImageFile } from '../daemon/src/vision/decode.js';
import type { Region } from '../daemon/src/vision/preprocess.js';
import type { Box } from '../daemon/src/recognition/types.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, v === undefined || v.startsWith('--') ? 1 : 2);
  return v === undefined || v.startsWith('--') ? '' : v;
};
const variants = flag('--variants') !== undefined;
const facePath = flag('--face');
const faceMargin = Number(flag('--face-margin') ?? 0.1);
const out = args.pop();
if (!out) throw new Error('usage: embed-cache.ts [DATASET_DIR] OUT.json [--variants] [--face CASCADE.xml]');
const dataset = args[0] ?? packagePath('.fixtures/cats');
const log = createLogger('embed-cache', { level: 'info', sink: (l) => process.stderr.write(l + '\n') });
const config = loadConfig({});
const models = await loadModels(config, createBackend(config.inference, log), log);
const modelId = embedderModelId(models.embedderManifest);
const t0 = performance.now();

/** Crop variants of a box (w, h its size): name -> region in a W x H frame. */
const shift = (b: Box, dx: number, dy: number): Box => {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  return [b[0] + dx * w, b[1] + dy * h, b[2] + dx * w, b[3] + dy * h];
};
const CROPS: Record<string, (b: Box, W: number, H: number) => Region> = {
  m00: (b, W, H) => cropRegion(b, 0, W, H),
  m05: (b, W, H) => cropRegion(b, 0.05, W, H),
  m15: (b, W, H) => cropRegion(b, 0.15, W, H),
  m25: (b, W, H) => cropRegion(b, 0.25, W, H),
  m40: (b, W, H) => cropRegion(b, 0.4, W, H),
  sl: (b, W, H) => cropRegion(shift(b, -0.05, 0), 0.1, W, H),
  sr: (b, W, H) => cropRegion(shift(b, 0.05, 0), 0.1, W, H),
  su: (b, W, H) => cropRegion(shift(b, 0, -0.05), 0.1, W, H),
  sd: (b, W, H) => cropRegion(shift(b, 0, 0.05), 0.1, W, H),
};

const items = await embedDataset(listDataset(dataset), models.detector, models.embedder, log);
const extra: Record<string, EmbeddedPhoto[]> = {};
// Loaded only with --face (the face search is measured here before it is anything else).
const face = facePath ? await import('../daemon/src/recognition/face/find-face.js') : undefined;
const faceCascade = face && facePath ? face.parseCascadeXml(readFileSync(facePath, 'utf8'), facePath) : undefined;
const faceMs: number[] = [];
const cropMs: number[] = [];
if (variants || faceCascade) {
  const names = variants ? Object.keys(CROPS) : [];
  for (const n of [...names, ...(faceCascade ? ['face'] : [])]) extra[n] = [];
  for (const it of items) {
    const img = it.detection ? await decodeImageFile(it.file) : null;
    for (const n of names) {
      let embedding: Float32Array | null = null;
      if (img && it.detection) {
        const t = performance.now();
        embedding = (await models.embedder.embedRegions(img, [CROPS[n]!(it.detection.box, img.width, img.height)]))[0] ?? null;
        cropMs.push(performance.now() - t);
      }
      extra[n]!.push({ ...it, embedding });
    }
    if (faceCascade) {
      let embedding: Float32Array | null = null;
      if (img && it.detection && face) {
        const t = performance.now();
        const found = face.findFace(faceCascade, img, it.detection.box);
        faceMs.push(performance.now() - t);
        if (found)
          embedding = (await models.embedder.embedRegions(img, [cropRegion(found.box, faceMargin, img.width, img.height)]))[0] ?? null;
      }
      extra.face!.push({ ...it, embedding });
    }
  }
}
await Promise.all([models.detector.dispose(), models.embedder.dispose()]);
writeFileSync(out, saveEmbeddedCache(modelId, items));
const base = out.replace(/\.json$/, '');
for (const [n, xs] of Object.entries(extra)) writeFileSync(`${base}.${n}.json`, saveEmbeddedCache(modelId, xs));
const median = (xs: number[]): number | null =>
  xs.length ? Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 10) / 10 : null;
console.log(
  JSON.stringify({
    out,
    photos: items.length,
    embedded: items.filter((i) => i.embedding).length,
    variants: Object.keys(extra),
    faces: extra.face ? extra.face.filter((i) => i.embedding).length : undefined,
    ms_per_crop_embedding_median: median(cropMs),
    ms_face_search_median: median(faceMs),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  }),
);

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { hasCode, type ErrorCode } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { buildCalibrationSet } from '../../calibration/src/calibset/build.js';
import { readCalibrationSet, readSample } from '../../calibration/src/calibset/format.js';
import { captureFrames } from '../../calibration/src/capture.js';
import { runQuantize } from '../../calibration/src/quantize/run.js';
import { catClip, catsDir, fixtures, manifestsDir, requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-calib-'));
const frames = join(tmp, 'frames');
const yolox = join(manifestsDir, 'yolox_nano_416_coco.json');
const mnv2 = join(manifestsDir, 'mobilenetv2-12-int8_pooled.json');
const quiet = (): void => {};

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(hasCode(e, code), `expected ${code}, got ${(e as { code?: string }).code}: ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('capture saves JPEG frames from the cat clip through the daemon camera code', async () => {
  const saved = await captureFrames({
    uri: `file://${catClip}`,
    outDir: join(frames, 'clip'),
    frames: 4,
    everySeconds: 1,
    log: silentLogger(),
  });
  assert.is(saved.length, 4);
  const meta = await sharp(saved[0]!).metadata();
  assert.is(meta.format, 'jpeg');
});

test('frames: shared photos (every 4th), negatives, grey "IR night" copies and clip frames', async () => {
  const cats = readdirSync(catsDir).sort();
  for (const c of cats) {
    const photos = readdirSync(join(catsDir, c))
      .sort()
      .filter((_, i) => i % 4 === 0);
    mkdirSync(join(frames, 'day', c), { recursive: true });
    for (const p of photos) copyFileSync(join(catsDir, c, p), join(frames, 'day', c, p));
  }
  mkdirSync(join(frames, 'negatives'), { recursive: true });
  for (const n of readdirSync(join(fixtures, 'negatives'))) copyFileSync(join(fixtures, 'negatives', n), join(frames, 'negatives', n));
  mkdirSync(join(frames, 'night'), { recursive: true });
  for (const c of cats.slice(0, 4)) {
    const p = readdirSync(join(catsDir, c)).sort()[1]!;
    await sharp(join(catsDir, c, p))
      .grayscale()
      .toColourspace('srgb')
      .jpeg()
      .toFile(join(frames, 'night', `${c}.jpg`));
  }
  assert.ok(existsSync(join(frames, 'night', `${cats[0]}.jpg`)));
});

test('selection is deterministic, covers every stratum and beats the first N on coverage', async () => {
  const a = await buildCalibrationSet({
    framesDir: frames,
    modelManifest: yolox,
    detectorManifest: yolox,
    size: 12,
    outDir: join(tmp, 'set-a'),
    progress: quiet,
  });
  const b = await buildCalibrationSet({
    framesDir: frames,
    modelManifest: yolox,
    detectorManifest: yolox,
    size: 12,
    outDir: join(tmp, 'set-b'),
    progress: quiet,
  });
  assert.equal(
    a.set.samples.map((s) => s.source),
    b.set.samples.map((s) => s.source),
  );
  const d = a.set.diversity as {
    strataInSource: Record<string, number>;
    strataInSet: Record<string, number>;
    coverageRadius: number;
    coverageRadiusFirstN: number;
    meanNearestNeighbour: number;
    meanNearestNeighbourFirstN: number;
  };
  assert.equal(Object.keys(d.strataInSet).sort(), Object.keys(d.strataInSource).sort());
  for (const s of ['animal/day', 'empty/day', 'animal/night'])
    assert.ok((d.strataInSet[s] ?? 0) >= 1, `${s} not covered: ${JSON.stringify(d.strataInSet)}`);
  assert.ok(d.coverageRadius < d.coverageRadiusFirstN, `k-center ${d.coverageRadius} vs first-N ${d.coverageRadiusFirstN}`);
  assert.ok(d.meanNearestNeighbour > d.meanNearestNeighbourFirstN);
  assert.ok(a.set.samples.some((s) => s.source.startsWith('clip')) || a.set.samples.some((s) => s.source.startsWith('negatives')));
  // The stored sample is exactly the runtime pre-processing of the source frame.
  const set = readCalibrationSet(a.dir);
  assert.is(set.model.sha256, '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14');
  const { decodeImageFile } = await import('../../daemon/src/vision/decode.js');
  const { preprocess } = await import('../../daemon/src/vision/preprocess.js');
  const { readManifest } = await import('../../daemon/src/models/manifest.js');
  const s0 = set.samples[0]!;
  const expect = preprocess(await decodeImageFile(join(frames, s0.source)), readManifest(yolox).preprocess, 416, 416).tensor;
  assert.equal(Array.from(readSample(a.dir, set, s0).subarray(0, 5000)), Array.from(expect.subarray(0, 5000)));
});

test('bad input: empty frames directory is FRAMES_EMPTY', async () => {
  mkdirSync(join(tmp, 'empty'));
  await expectCode(
    buildCalibrationSet({
      framesDir: join(tmp, 'empty'),
      modelManifest: yolox,
      detectorManifest: yolox,
      size: 4,
      outDir: join(tmp, 'x'),
      progress: quiet,
    }),
    'FRAMES_EMPTY',
  );
});

test('bad input: an embedder with a dynamic batch and no --shape is DYNAMIC_SHAPE', async () => {
  await expectCode(
    buildCalibrationSet({
      framesDir: frames,
      modelManifest: mnv2,
      detectorManifest: yolox,
      size: 4,
      outDir: join(tmp, 'y'),
      progress: quiet,
    }),
    'DYNAMIC_SHAPE',
  );
});

test('bad input: quantize refuses a calibration set made for another model', async () => {
  await expectCode(
    runQuantize({
      modelManifest: mnv2,
      calibrationDir: join(tmp, 'set-a'),
      method: 'entropy',
      outDir: join(tmp, 'q'),
      trtVersion: '10.3.0',
      qdq: {},
      sensitivityTarget: 0,
      progress: quiet,
    }),
    'CALIBRATION_MODEL_MISMATCH',
  );
  assert.not.ok(existsSync(join(tmp, 'q')));
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();

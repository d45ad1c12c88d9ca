import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { installModel, verifyModelFile } from '../../daemon/src/models/install.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { deriveModel } from '../../daemon/src/models/derive.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { fixtures, manifestsDir, modelsDir } from '../helpers/paths.js';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
const pooled = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));

async function runPooled(file: string, input: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const out = await s.run({ input: new ort.Tensor('float32', input, [1, 3, 224, 224]) }, ['pooled']);
  await s.release();
  return out.pooled!.data as Float32Array;
}

test('without a mirror copy, the pooled embedder is derived from the verified base model and matches it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gloves-derive-'));
  const mirror = join(root, 'mirror');
  mkdirSync(mirror);
  // The mirror holds only the upstream base model, as a download of the pinned URL would.
  const base = pooled.source.derivedFrom!;
  copyFileSync(join(modelsDir, '.base', base.file), join(mirror, base.file));
  const dest = join(root, 'models');
  assert.is(await installModel(pooled, dest, mirror, silentLogger()), 'derived');
  const derivedFile = verifyModelFile(pooled, dest);
  assert.is(await installModel(pooled, dest, mirror, silentLogger()), 'present');

  // Same numbers as the mirror's copy on a real, deterministic input.
  const input = new Float32Array(3 * 224 * 224);
  const jpeg = readFileSync(join(fixtures, 'cats', 'leo', '01.jpg'));
  for (let i = 0; i < input.length; i++) input[i] = ((jpeg[i % jpeg.length]! / 255) - 0.45) / 0.225;
  const a = await runPooled(derivedFile, input);
  const b = await runPooled(join(modelsDir, pooled.file), input);
  assert.is(a.length, 1280);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  assert.is(maxDiff, 0);
});

test('a recipe naming a tensor the base lacks is DERIVE_FAILED', () => {
  const base = readFileSync(join(modelsDir, '.base', pooled.source.derivedFrom!.file));
  try {
    deriveModel(base, { ...pooled.source.derivedFrom!.recipe, tensor: 'no_such_tensor' });
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'DERIVE_FAILED');
  }
});

test('a base that is not ONNX is MODEL_LOAD_FAILED', () => {
  try {
    deriveModel(Buffer.from('definitely not protobuf \xff\xff\xff'), pooled.source.derivedFrom!.recipe);
    assert.unreachable();
  } catch (err) {
    assert.is((err as GlovesError).code, 'MODEL_LOAD_FAILED');
  }
});

test.run();

/**
 * The contract against real TensorRT through the native addon. Skipped, with
 * the reason printed, where the addon was built without TensorRT or sees no
 * GPU; on a Jetson (or any TensorRT machine) it runs as is.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTensorRtBackend } from '../../daemon/src/inference/tensorrt/backend.js';
import { createLogger } from '../../daemon/src/log/logger.js';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestsDir, modelsDir } from '../helpers/paths.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { chooseBackend } from '../../daemon/src/inference/tensorrt/backend.js';
import { backendContract } from './contract.js';
import { floatEmbedderFile } from './trt-ready.js';

const addon = loadNativeAddon();
const info = addon?.info();
const skip = !addon
  ? 'native addon not built'
  : !info!.hasTensorRT
    ? 'native addon built without TensorRT (no TensorRT headers/libraries found at configure time)'
    : !info!.computeCapability
      ? 'TensorRT built in but no CUDA device visible'
      : null;
if (!skip)
  console.log(`TensorRT ${info!.tensorrtVersion}, CUDA ${info!.cudaRuntimeVersion}, sm_${info!.computeCapability}, ${info!.deviceName}`);

backendContract(
  'tensorrt',
  'tensorrt',
  async () =>
    createTensorRtBackend({
      addon: addon!,
      logger: createLogger('trt', { level: 'warn' }),
      engineCacheDir: process.env.GLOVES_TEST_ENGINE_DIR ?? mkdtempSync(join(tmpdir(), 'gloves-engines-')),
      precision: (process.env.GLOVES_TEST_TRT_PRECISION as 'fp32' | 'fp16' | 'int8' | undefined) ?? 'fp16',
    }),
  skip,
  { embedderFile: floatEmbedderFile }, // the shipped embedder is QOperator: TensorRT cannot parse it
);

if (skip) {
  test('without TensorRT: auto picks onnxruntime, tensorrt is BACKEND_UNAVAILABLE, and the backend refuses to load', async () => {
    assert.is(chooseBackend('auto', addon).name, 'onnxruntime');
    assert.throws(
      () => chooseBackend('tensorrt', addon),
      (e: unknown) => e instanceof GlovesError && e.code === 'BACKEND_UNAVAILABLE',
    );
    if (addon) {
      const m = readManifest(join(manifestsDir, 'yolox_nano_416_coco.json'));
      const b = createTensorRtBackend({
        addon,
        logger: createLogger('trt', { level: 'silent' }),
        engineCacheDir: mkdtempSync(join(tmpdir(), 'gloves-engines-')),
      });
      const err = await b.load(m, join(modelsDir, m.file)).catch((e: unknown) => e);
      assert.is((err as GlovesError).code, 'BACKEND_UNAVAILABLE');
    }
  });
} else {
  test('with TensorRT: auto picks tensorrt', () => {
    assert.is(chooseBackend('auto', addon).name, 'tensorrt');
  });
}

test.run();

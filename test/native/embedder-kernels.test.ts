/**
 * The embedder's crops run on the pixel kernels too: with the addon and with the
 * TypeScript references, the same real crops give nearly the same embeddings, and
 * the kernels are actually called. Measured: the two input tensors differ by at
 * most ~5e-7, yet the int8 QOperator embedder quantizes its input, so a few values
 * sitting on a rounding boundary flip one step and the cosine drops to ~0.99 on
 * some crops (TS vs TS is 1.0). Hence the 0.98 bound; the kernels' own tolerance
 * is asserted in preprocess-parity.test.ts.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOnnxRuntimeBackend } from '../../daemon/src/inference/onnxruntime.js';
import { readManifest } from '../../daemon/src/models/manifest.js';
import { loadNativeAddon } from '../../daemon/src/native/addon.js';
import { createKernels, type PixelKernels } from '../../daemon/src/kernels/kernels.js';
import { createEmbedder } from '../../daemon/src/recognition/embedding/embedder.js';
import type { Box } from '../../daemon/src/recognition/types.js';
import { manifestsDir, modelsDir, requireFixtures } from '../helpers/paths.js';
import { photos } from './frames.js';

requireFixtures();
const addon = loadNativeAddon();
if (!addon) throw new Error('native addon not built: run `npm run build:native`');
const manifest = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));
const session = await createOnnxRuntimeBackend({ threads: 1 }).load(manifest, join(modelsDir, manifest.file));

function counting(k: PixelKernels): { kernels: PixelKernels; calls: () => number } {
  let n = 0;
  const kernels: PixelKernels = {
    impl: k.impl,
    preprocess: (...a) => k.preprocess(...a),
    preprocessInto: (...a) => {
      n++;
      return k.preprocessInto(...a);
    },
    cropBatch: (...a) => k.cropBatch(...a),
    nms: (...a) => k.nms(...a),
    greyDownscale: (...a) => k.greyDownscale(...a),
    motionCells: (...a) => k.motionCells(...a),
  };
  return { kernels, calls: () => n };
}

test('native and TypeScript crops give the same embeddings, and the kernels are used', async () => {
  const native = counting(createKernels(addon));
  const ts = counting(createKernels(null));
  assert.is(native.kernels.impl, 'native');
  assert.is(ts.kernels.impl, 'typescript');
  const en = createEmbedder(manifest, session, { cropMargin: 0.1, flip: true, kernels: native.kernels });
  const et = createEmbedder(manifest, session, { cropMargin: 0.1, flip: true, kernels: ts.kernels });
  let checked = 0;
  for (const { name, img } of await photos()) {
    const boxes: Box[] = [
      [img.width * 0.1, img.height * 0.15, img.width * 0.7, img.height * 0.9],
      [3.5, 7.25, Math.min(120.75, img.width - 1), Math.min(90.5, img.height - 1)],
    ];
    const a = await en.embed(img, boxes);
    const b = await et.embed(img, boxes);
    for (let i = 0; i < boxes.length; i++) {
      let dot = 0;
      for (let k = 0; k < a[i]!.length; k++) dot += a[i]![k]! * b[i]![k]!;
      assert.ok(dot > 0.98, `${name} box ${i}: cosine ${dot}`);
      checked++;
    }
  }
  assert.ok(checked >= 4);
  assert.ok(native.calls() > 0 && ts.calls() > 0);
});

test.run();

/**
 * A TensorRT-ready (float) copy of the shipped embedder for the TensorRT contract
 * tests: the shipped MobileNetV2 is a QOperator int8 model, which TensorRT's parser
 * (and so the strict mock) refuses. gloves-trainer's QOperator -> FP32 conversion
 * makes the float model (what `gloves-trainer quantize` starts from), written once
 * per source sha256 into the OS temp directory.
 */
import { existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dequantizeQOperator } from '../../calibration/src/qdq/qoperator.js';
import { loadModel, saveModel } from '../../calibration/src/onnx/proto.js';
import { readManifest, type ModelManifest } from '../../daemon/src/models/manifest.js';
import { manifestsDir, modelsDir } from '../helpers/paths.js';

export const qoperatorEmbedder = (): { manifest: ModelManifest; file: string } => {
  const manifest = readManifest(join(manifestsDir, 'mobilenetv2-12-int8_pooled.json'));
  return { manifest, file: join(modelsDir, manifest.file) };
};

/** The float embedder (same tensor names and manifest), path to an .onnx file. */
export function floatEmbedderFile(): string {
  const { manifest, file } = qoperatorEmbedder();
  const out = join(tmpdir(), `gloves-test-${manifest.sha256.slice(0, 16)}-float.onnx`);
  if (existsSync(out)) return out;
  const m = loadModel(file);
  dequantizeQOperator(m);
  const tmp = `${out}.${process.pid}.tmp`;
  saveModel(m, tmp);
  renameSync(tmp, out);
  return out;
}

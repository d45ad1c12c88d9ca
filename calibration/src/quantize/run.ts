/**
 * `quantize` end to end: manifest + calibration set -> <out>/<name>.onnx (QDQ),
 * <out>/<name>.json (manifest, new sha256), <out>/<model>.calib (TensorRT cache)
 * and <out>/quantize-report.json (ranges, mixed-precision choices).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../../../daemon/src/models/manifest.js';
import { parseManifest } from '../../../daemon/src/models/manifest.js';
import { assertSetForModel, readCalibrationSet, readSample } from '../calibset/format.js';
import { resolveModel } from '../models.js';
import { encodeModel, loadModel } from '../onnx/proto.js';
import { cloneModel } from '../onnx/proto.js';
import { quantizeQdq, type ActivationRange, type QdqOptions } from '../qdq/quantize.js';
import type { CalibrationMethod } from '../ranges/calibrators.js';
import { chooseRanges, prepareFp32 } from './pipeline.js';
import { collectRanges } from '../ranges/collect.js';
import { excludeSensitive } from './sensitivity.js';
import { cacheAlgorithm, writeCalibrationCache } from '../trt/cache.js';
import { tensorNames } from '../onnx/graph.js';

export interface QuantizeRunOptions {
  modelManifest: string;
  calibrationDir: string;
  method: CalibrationMethod;
  outDir: string;
  trtVersion: string;
  percentile?: number;
  qdq: QdqOptions;
  /** Relative output error the mixed-precision search aims for; 0 disables it (everything quantized). */
  sensitivityTarget: number;
  threads?: number;
  progress: (line: string) => void;
}

export interface QuantizeRunResult {
  manifestPath: string;
  modelPath: string;
  cachePath: string;
  reportPath: string;
  manifest: ModelManifest;
}

/**
 * The manifest of a generated model. The shared schema's `derivedFrom` only
 * describes the pooled-output recipe, so provenance (base model name and
 * sha256, method) lives in quantize-report.json beside it; `source` keeps the
 * upstream repository/commit/path of the base.
 */
export function qdqManifest(src: ModelManifest, file: string, bytes: Uint8Array): ModelManifest {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const up = src.source.derivedFrom ?? src.source;
  const source: ModelManifest['source'] = { url: null };
  if (up.repo) source.repo = up.repo;
  if (up.commit) source.commit = up.commit;
  if (up.path) source.path = up.path;
  return parseManifest({ ...src, name: `${src.name}-int8-qdq`, file, sha256, size: bytes.length, source }, 'generated');
}

export async function runQuantize(o: QuantizeRunOptions): Promise<QuantizeRunResult> {
  const { manifest, file } = resolveModel(o.modelManifest);
  const set = readCalibrationSet(o.calibrationDir);
  assertSetForModel(set, manifest, o.calibrationDir);
  const model = loadModel(file);
  const { fp32, converted } = prepareFp32(model, { [set.input.name]: set.input.dims });
  if (converted) o.progress(`converted QOperator ops back to FP32: ${JSON.stringify(converted)}`);
  const feedsOf = (s: (typeof set.samples)[number]) => ({ [set.input.name]: { dims: set.input.dims, data: readSample(o.calibrationDir, set, s) } });
  const every = Math.max(1, Math.floor(set.samples.length / 10));
  const stats = await collectRanges(fp32, () => set.samples.map(feedsOf), set.samples.length, {
    threads: o.threads ?? 2,
    onProgress: (pass, done, total) => {
      if (done % every === 0 || done === total) o.progress(`ranges pass ${pass}/2: ${done}/${total} samples`);
    },
  });
  const amax = chooseRanges(stats, o.method, o.percentile);
  const names = new Set(tensorNames(fp32));
  const entries = [...amax].filter(([n, a]) => names.has(n) && a > 0).map(([name, a]) => ({ name, amax: a }));
  const cache = writeCalibrationCache(entries, o.trtVersion, cacheAlgorithm(o.method));
  const ranges = new Map<string, ActivationRange>([...amax].map(([n, a]) => [n, { amax: a, minmax: stats.get(n)!.minmax }]));
  let excluded: string[] = [];
  let sensitivity: Awaited<ReturnType<typeof excludeSensitive>> | undefined;
  if (o.sensitivityTarget > 0) {
    const probe = set.samples.filter((_, i) => i % Math.max(1, Math.floor(set.samples.length / 4)) === 0).slice(0, 4).map(feedsOf);
    let last = '';
    sensitivity = await excludeSensitive(fp32, ranges, probe, {
      qdq: o.qdq,
      target: o.sensitivityTarget,
      maxExcludedFraction: 0.5,
      threads: o.threads ?? 2,
      onProgress: (stage, done, total) => {
        const line = `${stage}: ${done}/${total}`;
        if (stage !== 'sensitivity' || done % 10 === 0 || done === total) if (line !== last) o.progress((last = line));
      },
    });
    excluded = sensitivity.excluded;
    o.progress(`mixed precision: ${excluded.length} activations kept in float; output error ${sensitivity.errorAll.toFixed(3)} -> ${sensitivity.errorFinal.toFixed(3)}`);
  }
  const keep = new Map([...ranges].filter(([n]) => !excluded.includes(n)));
  const qdq = cloneModel(fp32);
  const report = quantizeQdq(qdq, keep, o.qdq);
  const bytes = encodeModel(qdq);
  mkdirSync(o.outDir, { recursive: true });
  const name = `${manifest.name}-int8-qdq`;
  const out = qdqManifest(manifest, `${name}.onnx`, bytes);
  const modelPath = join(o.outDir, `${name}.onnx`);
  const manifestPath = join(o.outDir, `${name}.json`);
  // Named as the daemon's TensorRT backend looks it up (inference.calibrationDir/<model>.calib).
  const cachePath = join(o.outDir, `${manifest.name}.calib`);
  const reportPath = join(o.outDir, 'quantize-report.json');
  writeFileSync(modelPath, bytes);
  writeFileSync(manifestPath, JSON.stringify(out, null, 2) + '\n');
  writeFileSync(cachePath, cache);
  // The FP32 graph the cache names refer to (for TensorRT's implicit-quantization path).
  if (converted) writeFileSync(join(o.outDir, `${manifest.name}-fp32.onnx`), encodeModel(fp32));
  writeFileSync(
    reportPath,
    JSON.stringify(
      {
        model: { name: manifest.name, sha256: manifest.sha256 },
        calibrationSet: { dir: o.calibrationDir, samples: set.samples.length },
        output: { name: out.name, sha256: out.sha256 },
        method: o.method,
        trtVersion: o.trtVersion,
        qdq: { ...o.qdq, ...report },
        convertedFromQOperator: converted,
        mixedPrecision: sensitivity ? { target: o.sensitivityTarget, errorAll: sensitivity.errorAll, errorFinal: sensitivity.errorFinal, keptFloat: excluded } : null,
        amax: Object.fromEntries(amax),
      },
      null,
      2,
    ) + '\n',
  );
  return { manifestPath, modelPath, cachePath, reportPath, manifest: out };
}

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
import { graphOf } from '../onnx/proto.js';
import { quantizeQdq, selectActivations, type ActivationRange, type QdqOptions } from '../qdq/quantize.js';
import { correctConvBiases } from '../qdq/bias-correction.js';
import { rangeAmax, type CalibrationMethod, type RangeMethod } from '../ranges/calibrators.js';
import { collectChannelMeans } from '../ranges/channel-means.js';
import { chooseRanges, prepareFp32 } from './pipeline.js';
import { collectRanges } from '../ranges/collect.js';
import { searchMixedPrecision, type RangeCandidate, type SensitivityResult } from './sensitivity.js';
import { relativeL2, yoloxScoreError, type OutputError } from './output-error.js';
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
  /** Whole-model output error the mixed-precision search aims for; 0 disables the search (every activation quantized with `method`). */
  sensitivityTarget: number;
  /** Range methods each QDQ activation may take (the best by measured output error); default entropy, percentile, mse. */
  rangeMethods?: readonly RangeMethod[];
  /** Correct Conv biases for the mean shift weight quantization causes (default true). */
  biasCorrection?: boolean;
  /** Probe samples for the sensitivity search (default 8). */
  probes?: number;
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

/** Up to `n` samples spread evenly over the set, animal frames first (what the model is for). */
export function probeSamples<T extends { animal: boolean }>(samples: readonly T[], n: number): T[] {
  const animals = samples.filter((s) => s.animal);
  const pool = animals.length >= n ? animals : [...animals, ...samples.filter((s) => !s.animal)];
  if (pool.length <= n) return [...pool];
  return Array.from({ length: n }, (_, i) => pool[Math.floor((i * pool.length) / n)]!);
}

/** The output error the search minimises: detection scores and boxes for YOLOX detectors, relative L2 otherwise. */
export function errorMetricFor(m: ModelManifest): { name: string; fn: OutputError } {
  if (m.task === 'detector' && m.postprocess.kind === 'yolox') {
    const ids = ['cat', 'dog'].map((l) => m.labels.indexOf(l)).filter((i) => i >= 0);
    if (ids.length > 0)
      return { name: `yolox scores (${ids.join(',')}) + objectness-weighted boxes`, fn: yoloxScoreError(ids, 5 + m.labels.length) };
  }
  return { name: 'relative L2 of all outputs', fn: relativeL2 };
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
  const feedsOf = (s: (typeof set.samples)[number]) => ({
    [set.input.name]: { dims: set.input.dims, data: readSample(o.calibrationDir, set, s) },
  });
  const threads = o.threads ?? 2;
  const every = Math.max(1, Math.floor(set.samples.length / 10));
  const stats = await collectRanges(fp32, () => set.samples.map(feedsOf), set.samples.length, {
    threads,
    onProgress: (pass, done, total) => {
      if (done % every === 0 || done === total) o.progress(`ranges pass ${pass}/2: ${done}/${total} samples`);
    },
  });
  const amax = chooseRanges(stats, o.method, o.percentile);
  const names = new Set(tensorNames(fp32));
  const entries = [...amax].filter(([n, a]) => names.has(n) && a > 0).map(([name, a]) => ({ name, amax: a }));
  // The cache is for TensorRT's implicit quantization of the FP32 graph: one method, as its header says.
  const cache = writeCalibrationCache(entries, o.trtVersion, cacheAlgorithm(o.method));

  // The QDQ model: bias-corrected FP32 graph, then ranges and float-kept tensors by measurement.
  const base = cloneModel(fp32);
  let biasCorrected = 0;
  if (o.biasCorrection ?? true) {
    const convInputs = graphOf(fp32)
      .node.filter((n) => n.opType === 'Conv')
      .map((n) => n.input![0]!);
    const means = await collectChannelMeans(fp32, [...new Set(convInputs)], () => set.samples.map(feedsOf), { threads });
    biasCorrected = correctConvBiases(base, means, o.qdq.floatWeights).corrected.length;
    o.progress(`bias correction: ${biasCorrected} Conv biases adjusted for weight quantization`);
  }
  let ranges = new Map<string, ActivationRange>([...amax].map(([n, a]) => [n, { amax: a, minmax: stats.get(n)!.minmax }]));
  const methodOf = new Map<string, string>([...amax.keys()].map((n) => [n, o.method]));
  let excluded: string[] = [];
  let sensitivity: SensitivityResult | undefined;
  const metric = errorMetricFor(manifest);
  if (o.sensitivityTarget > 0) {
    const methods = o.rangeMethods ?? ['entropy', 'percentile', 'mse'];
    const candidates = new Map<string, RangeCandidate[]>(
      [...stats].map(([n, s]) => [
        n,
        methods.map((m) => ({ method: m, range: { amax: rangeAmax(s, m, o.percentile), minmax: s.minmax } })),
      ]),
    );
    const probe = probeSamples(set.samples, o.probes ?? 8).map(feedsOf);
    let last = '';
    sensitivity = await searchMixedPrecision(fp32, base, candidates, probe, {
      qdq: o.qdq,
      target: o.sensitivityTarget,
      maxExcludedFraction: 0.5,
      error: metric.fn,
      threads,
      onProgress: (stage, done, total) => {
        const line = `${stage}: ${done}/${total}`;
        if (stage !== 'sensitivity' || done % 10 === 0 || done === total) if (line !== last) o.progress((last = line));
      },
    });
    for (const [n, c] of sensitivity.chosen) {
      ranges.set(n, c.range);
      methodOf.set(n, c.method);
    }
    excluded = sensitivity.excluded;
    o.progress(
      `mixed precision: ${excluded.length} activations kept in float; output error weights-only ${sensitivity.errorWeightsOnly.toFixed(3)}, all ${sensitivity.errorAll.toFixed(3)} -> ${sensitivity.errorFinal.toFixed(3)}`,
    );
  }
  ranges = new Map([...ranges].filter(([n]) => !excluded.includes(n)));
  const qdq = cloneModel(base);
  const report = quantizeQdq(qdq, ranges, o.qdq);
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
  const quantized = [...selectActivations(base, o.qdq.layout ?? 'conv-in')].filter((n) => ranges.has(n));
  writeFileSync(
    reportPath,
    JSON.stringify(
      {
        model: { name: manifest.name, sha256: manifest.sha256 },
        calibrationSet: { dir: o.calibrationDir, samples: set.samples.length, sources: set.samples.map((s) => s.source) },
        output: { name: out.name, sha256: out.sha256 },
        method: o.method,
        trtVersion: o.trtVersion,
        qdq: { ...o.qdq, floatWeights: undefined, ...report },
        biasCorrection: { enabled: o.biasCorrection ?? true, convs: biasCorrected },
        convertedFromQOperator: converted,
        mixedPrecision: sensitivity
          ? {
              target: o.sensitivityTarget,
              metric: metric.name,
              errorWeightsOnly: sensitivity.errorWeightsOnly,
              errorAll: sensitivity.errorAll,
              errorFinal: sensitivity.errorFinal,
              steps: sensitivity.steps,
              keptFloat: excluded,
              perTensor: sensitivity.perTensor,
            }
          : null,
        qdqRanges: Object.fromEntries(quantized.map((n) => [n, { amax: ranges.get(n)!.amax, method: methodOf.get(n) }])),
        amax: Object.fromEntries(amax),
      },
      null,
      2,
    ) + '\n',
  );
  return { manifestPath, modelPath, cachePath, reportPath, manifest: out };
}

import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { CALIBRATION_METHODS, RANGE_METHODS, type CalibrationMethod, type RangeMethod } from '../../ranges/calibrators.js';
import { QDQ_LAYOUTS, type QdqLayout } from '../../qdq/quantize.js';
import { runQuantize } from '../../quantize/run.js';
import { loadNativeAddon } from '../../../../daemon/src/native/addon.js';

/**
 * The cache's TensorRT version: this device's when the addon has TensorRT (the
 * cache must match it exactly), else 10.3.0 (JetPack 6.1/6.2).
 */
function defaultTrtVersion(): string {
  try {
    const info = loadNativeAddon()?.info();
    if (info?.hasTensorRT && info.tensorrtVersion) return info.tensorrtVersion;
  } catch {
    // a broken addon: the fixed default below, as without one
  }
  return '10.3.0';
}

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'INT8: TensorRT calibration cache + QDQ ONNX model from a calibration set',
  usage: `gloves-trainer quantize --model MANIFEST --calibration DIR --method entropy|percentile|minmax --out DIR
    [--trt-version X.Y.Z] [--percentile 99.99] [--layout conv-in|conv-io|full] [--activations int8|uint8]
    [--quantize-bias] [--sensitivity-target 0.1] [--range-methods entropy,percentile,mse] [--no-bias-correction]
  Collects activation ranges with the FP32 model (a QOperator int8 model is first converted back to
  FP32), writes DIR/<model>.calib (TensorRT cache for --trt-version, default this device's TensorRT, else
  10.3.0; it must equal the target's version exactly, run it on the device or pass it), DIR/<name>-int8-qdq.onnx
  with its manifest, and DIR/quantize-report.json. The cache uses --method for every tensor. The QDQ
  model has bias-corrected Convs; each activation takes the range method (of --range-methods) that
  hurts the output least when it alone is quantized, and the most sensitive activations are kept in
  float (1, 2, 4, ... of them) until the output error is within --sensitivity-target or stops
  improving by 10% per step. --sensitivity-target 0 quantizes every activation with --method.`,
  async run(ctx) {
    const { values } = parseCommandArgs('quantize', ctx.argv, {
      model: { type: 'string' },
      calibration: { type: 'string' },
      method: { type: 'string' },
      out: { type: 'string' },
      'trt-version': { type: 'string' },
      percentile: { type: 'string' },
      layout: { type: 'string' },
      activations: { type: 'string' },
      'quantize-bias': { type: 'boolean' },
      'sensitivity-target': { type: 'string' },
      'range-methods': { type: 'string' },
      'no-bias-correction': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const method = requireString('quantize', values.method, '--method') as CalibrationMethod;
    if (!CALIBRATION_METHODS.includes(method)) throw new UsageError(`quantize: --method must be one of ${CALIBRATION_METHODS.join(', ')}`);
    const layout = (values.layout ?? 'conv-in') as QdqLayout;
    if (!QDQ_LAYOUTS.includes(layout)) throw new UsageError(`quantize: --layout must be one of ${QDQ_LAYOUTS.join(', ')}`);
    const act = values.activations ?? 'int8';
    if (act !== 'int8' && act !== 'uint8') throw new UsageError('quantize: --activations must be int8 or uint8');
    const rangeMethods = (values['range-methods'] ?? 'entropy,percentile,mse').split(',').map((x) => x.trim()) as RangeMethod[];
    for (const m of rangeMethods)
      if (!RANGE_METHODS.includes(m)) throw new UsageError(`quantize: --range-methods takes a comma list of ${RANGE_METHODS.join(', ')}`);
    const num = (v: string | undefined, flag: string, d: number): number => {
      if (v === undefined) return d;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`quantize: ${flag} must be a non-negative number`);
      return n;
    };
    const res = await runQuantize({
      modelManifest: requireString('quantize', values.model, '--model'),
      calibrationDir: requireString('quantize', values.calibration, '--calibration'),
      outDir: requireString('quantize', values.out, '--out'),
      method,
      trtVersion: values['trt-version'] ?? defaultTrtVersion(),
      percentile: num(values.percentile, '--percentile', 99.99),
      qdq: { layout, activationType: act, quantizeBias: values['quantize-bias'] === true },
      sensitivityTarget: num(values['sensitivity-target'], '--sensitivity-target', 0.1),
      rangeMethods,
      biasCorrection: values['no-bias-correction'] !== true,
      progress: (l) => ctx.stderr(l),
    });
    ctx.stdout(`QDQ model:  ${res.modelPath} (sha256 ${res.manifest.sha256})`);
    ctx.stdout(`manifest:   ${res.manifestPath}`);
    ctx.stdout(`TRT cache:  ${res.cachePath}`);
    ctx.stdout(`report:     ${res.reportPath}`);
    return 0;
  },
};

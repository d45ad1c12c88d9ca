import { join } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, parsePositiveInt, requireString } from '../../../../daemon/src/cli/index.js';
import { packageRoot } from '../../../../daemon/src/util/paths.js';
import { buildCalibrationSet } from '../../calibset/build.js';
import { loadModel } from '../../onnx/proto.js';
import { parseShapeArg } from '../../onnx/graph.js';
import { resolveModel } from '../../models.js';

export const calibrationSetCommand: Command = {
  name: 'calibration-set',
  summary: 'choose N representative frames and pre-process them for a model',
  usage: `gloves-trainer calibration-set --frames DIR --model MANIFEST --size N --out DIR [--shape 1x3xHxW] [--detector MANIFEST]
  Chooses N frames by k-center greedy on image statistics (every animal/no-animal x day/night
  stratum seeded), pre-processes them with the runtime's code and writes DIR/calibration-set.json
  plus DIR/samples/*.f32. --shape is required for models with dynamic input dims.
  --detector tags animals (default: the model itself if it is a detector, else YOLOX-nano).`,
  async run(ctx) {
    const { values } = parseCommandArgs('calibration-set', ctx.argv, {
      frames: { type: 'string' },
      model: { type: 'string' },
      size: { type: 'string' },
      out: { type: 'string' },
      shape: { type: 'string' },
      detector: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const frames = requireString('calibration-set', values.frames, '--frames');
    const model = requireString('calibration-set', values.model, '--model');
    const out = requireString('calibration-set', values.out, '--out');
    const size = parsePositiveInt('calibration-set', values.size, '--size', 64);
    const target = resolveModel(model);
    const detector =
      values.detector ?? (target.manifest.task === 'detector' ? model : join(packageRoot(), 'models', 'yolox_nano_416_coco.json'));
    const shape = values.shape ? parseShapeArg(values.shape, loadModel(target.file)) : undefined;
    const res = await buildCalibrationSet({
      framesDir: frames,
      modelManifest: model,
      detectorManifest: detector,
      size,
      outDir: out,
      shape,
      progress: (l) => ctx.stderr(l),
    });
    ctx.stdout(`calibration set: ${res.set.samples.length} of ${res.set.sourceFrames} frames -> ${res.dir}`);
    ctx.stdout(
      `strata: ${JSON.stringify(res.set.diversity.strataInSet)}; coverage radius ${Number(res.set.diversity.coverageRadius).toFixed(3)} (first-N ${Number(res.set.diversity.coverageRadiusFirstN).toFixed(3)})`,
    );
    return 0;
  },
};

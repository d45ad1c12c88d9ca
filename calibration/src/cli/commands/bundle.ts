import { resolve } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { readPrivateKey } from '../../../../daemon/src/models/bundle-sign.js';
import { buildBundle } from '../../bundle/build.js';

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'build and sign a model bundle for devices from local files',
  usage: `gloves-trainer bundle --model MANIFEST [--model MANIFEST] --reference IMAGE --key KEY --out DIR
    [--calibration FILE] [--qdq FILE] [--report FILE] [--stats FILE] [--name NAME]
  Copies each model (manifest + file; at most one detector and one embedder) and the optional TensorRT
  calibration cache, QDQ model, evaluation report (gloves-trainer evaluate) and population statistics
  (gloves-trainer fit-stats, needed when the embedder changes) into DIR, runs the models on the reference
  frame IMAGE to record the outputs a device must reproduce, writes DIR/bundle.json pinning every file's
  sha256 and signs it into DIR/bundle.sig with the ed25519 KEY (gloves-trainer keygen).`,
  async run(ctx) {
    const { values } = parseCommandArgs('bundle', ctx.argv, {
      model: { type: 'string', multiple: true },
      reference: { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string' },
      calibration: { type: 'string' },
      qdq: { type: 'string' },
      report: { type: 'string' },
      stats: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    if (!values.model || values.model.length === 0) throw new UsageError('bundle: --model is required (a manifest path)');
    const key = readPrivateKey(requireString('bundle', values.key, '--key'));
    const out = resolve(requireString('bundle', values.out, '--out'));
    const doc = await buildBundle({
      models: values.model,
      reference: requireString('bundle', values.reference, '--reference'),
      out,
      key,
      calibration: values.calibration,
      qdq: values.qdq,
      report: values.report,
      stats: values.stats,
      name: values.name,
    });
    ctx.stdout(`bundle ${doc.name}: ${doc.files.length} files, signed, in ${out}`);
    return 0;
  },
};

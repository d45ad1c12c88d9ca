import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, parsePositiveInt, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { TrainerError } from '../../errors.js';
import { runEvaluate } from '../../evaluate/run.js';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'gate a quantized model against its reference (exit 1 when it drops too much)',
  usage: `gloves-trainer evaluate --reference MANIFEST --candidate MANIFEST --dataset DIR [--max-drop 0.01]
    [--min-agreement 0.95] [--min-cosine 0.95] [--shots 3]
  Detectors: DIR/cats/** hold cats, DIR/negatives/** none; box agreement at IoU 0.5 and cat recall.
  Embedders: DIR/<pet>/* photos; cosine to the reference embeddings and the gloves eval top1 /
  false_accept delta. Writes <candidate>.evaluation.json beside the candidate manifest.`,
  async run(ctx) {
    const { values } = parseCommandArgs('evaluate', ctx.argv, {
      reference: { type: 'string' },
      candidate: { type: 'string' },
      dataset: { type: 'string' },
      'max-drop': { type: 'string' },
      'min-agreement': { type: 'string' },
      'min-cosine': { type: 'string' },
      shots: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const frac = (v: string | undefined, flag: string, d: number): number => {
      if (v === undefined) return d;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`evaluate: ${flag} must be a number in [0, 1]`);
      return n;
    };
    const { report, path } = await runEvaluate({
      reference: requireString('evaluate', values.reference, '--reference'),
      candidate: requireString('evaluate', values.candidate, '--candidate'),
      dataset: requireString('evaluate', values.dataset, '--dataset'),
      maxDrop: frac(values['max-drop'], '--max-drop', 0.01),
      minAgreement: frac(values['min-agreement'], '--min-agreement', 0.95),
      minCosine: frac(values['min-cosine'], '--min-cosine', 0.95),
      shots: parsePositiveInt('evaluate', values.shots, '--shots', 3),
      log: ctx.log,
      progress: (l) => ctx.stderr(l),
    });
    ctx.stdout(JSON.stringify({ passed: report.gate.passed, failures: report.gate.failures, metrics: report.metrics }, null, 2));
    ctx.stdout(`report: ${path}`);
    if (!report.gate.passed)
      throw new TrainerError('EVAL_GATE_FAILED', `candidate ${report.candidate.name} fails the gate: ${report.gate.failures.join('; ')}`, {
        report: path,
      });
    return 0;
  },
};

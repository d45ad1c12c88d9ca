import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt, requireString } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { GlovesError, UsageError } from '../../errors.js';
import { createBackend } from '../../inference/select.js';
import { crossValidate, DEFAULT_RECIPE } from '../../evaluation/crossval.js';
import { embedConfiguredDataset, evaluateDataset } from '../../evaluation/evaluate.js';
import { evaluateSequences } from '../../evaluation/sequences.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure closed-set top-1 and open-set false accepts on a folder-per-pet dataset',
  usage: `gloves eval --dataset DIR [--shots K] [--folds N] [--sequences L] [--max-pets N] [--json] [--config FILE]
  DIR holds one folder of photos per pet, sorted by name; the K shots at floor(i*n/K) are enrolled,
  the rest are queries (judged by their best cat/dog detection; none = error). Closed set: all pets
  enrolled; open set: each pet left out in turn. Uses the daemon's decision rule and defaults.
  Prints {"pets","photos","shots","top1","false_accept","no_detection","seconds"}; --json adds
  "curve" (best top1 at false_accept <= 0.01/0.05/0.10 over thresholds swept on these scores) and "eer".

  --folds N: honest cross-validation across pets, for pets never seen. Pets are split into N folds;
  for each fold EVERYTHING learned (population statistics, whitening, spread weight, threshold,
  logistic, LLR calibration) is refitted on the other folds' pets only, the fold's pets are
  enrolled and scored. top1/false_accept are the shipped operating point fitted that way;
  "predicted_false_accept" is what the fitting predicted for itself. The shipped statistics are
  ignored in this mode (gloves-trainer fit-stats fits them with the same code).
  --sequences L (with --folds): each pet's query photos, in name order, are cut into tracks of L
  photos, decided by the daemon's own track evidence accumulation; adds "sequences".`,
  async run(ctx) {
    const { values } = parseCommandArgs('eval', ctx.argv, {
      dataset: { type: 'string' },
      shots: { type: 'string' },
      folds: { type: 'string' },
      sequences: { type: 'string' },
      'max-pets': { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const datasetDir = requireString('eval', values.dataset, '--dataset');
    const shots = parsePositiveInt('eval', values.shots, '--shots', 3);
    const maxPets = values['max-pets'] === undefined ? undefined : parsePositiveInt('eval', values['max-pets'], '--max-pets', 0);
    const folds = values.folds === undefined ? undefined : parsePositiveInt('eval', values.folds, '--folds', 0);
    const seqL = values.sequences === undefined ? undefined : parsePositiveInt('eval', values.sequences, '--sequences', 0);
    if (seqL !== undefined && folds === undefined)
      throw new UsageError('eval: --sequences needs --folds N (tracks are decided by the cross-validated rule)', { command: 'eval' });
    const config = loadConfig({ file: values.config, env: ctx.env });
    const base = { datasetDir, config, log: ctx.log, backend: createBackend(config.inference, ctx.log), ...(maxPets ? { maxPets } : {}) };
    const print = (o: object): void => ctx.stdout(values.json ? JSON.stringify(o) : JSON.stringify(o, null, 2));
    if (folds === undefined) {
      const r = await evaluateDataset({ ...base, shots });
      requireScored(r.outcomes, datasetDir, shots);
      const summary = {
        pets: r.pets,
        photos: r.photos,
        shots: r.shots,
        top1: r.top1,
        false_accept: r.false_accept,
        no_detection: r.no_detection,
        seconds: r.seconds,
      };
      print(values.json ? { ...summary, curve: r.curve, eer: r.eer } : summary);
      return 0;
    }
    const t0 = performance.now();
    const d = await embedConfiguredDataset(base);
    requireScored(
      d.items.map((i) => ({ detected: i.embedding !== null })),
      datasetDir,
      shots,
    );
    const cv = crossValidate(d.items, d.embedderModelId, folds, { ...DEFAULT_RECIPE, shots });
    requireScored(
      cv.folds.flatMap((f) => f.outcomes),
      datasetDir,
      shots,
    );
    const seq = seqL === undefined ? undefined : evaluateSequences(cv, seqL);
    print({
      pets: d.pets,
      photos: d.items.length,
      shots,
      folds,
      top1: cv.top1,
      false_accept: cv.false_accept,
      no_detection: cv.no_detection,
      predicted_false_accept: cv.predicted_false_accept,
      curve: cv.curve,
      eer: cv.eer,
      ...(seq ? { sequences: seq } : {}),
      fold_pets: cv.folds.map((f) => f.scored),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    });
    return 0;
  },
};

/** A top1 over no scored photo is not 0 but meaningless: fail instead of printing a number. */
function requireScored(outcomes: readonly { detected: boolean }[], dir: string, shots: number): void {
  if (outcomes.some((o) => o.detected)) return;
  const why =
    outcomes.length === 0
      ? `no pet has more than ${shots} photo(s), so nothing is left to query after enrolling ${shots} (--shots)`
      : `none of its ${outcomes.length} query photo(s) shows a cat or dog the detector finds`;
  throw new GlovesError('EVAL_NOTHING_SCORED', `nothing in dataset ${dir} could be evaluated: ${why}`, {
    dir,
    queries: outcomes.length,
  });
}

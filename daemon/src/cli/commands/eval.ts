import type { Command } from '../command.js';
import { parseCommandArgs, parsePositiveInt, requireString } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { createBackend } from '../../inference/select.js';
import { evaluateDataset } from '../../recognition/evaluate.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure closed-set top-1 and open-set false accepts on a folder-per-pet dataset',
  usage: `gloves eval --dataset DIR [--shots K] [--max-pets N] [--json] [--config FILE]
  DIR holds one folder of photos per pet, sorted by name; the K shots at floor(i*n/K) are enrolled,
  the rest are queries (judged by their best cat/dog detection; none = error). Closed set: all pets
  enrolled; open set: each pet left out in turn. Uses the daemon's decision rule and defaults.
  Prints {"pets","photos","shots","top1","false_accept","no_detection","seconds"}.`,
  async run(ctx) {
    const { values } = parseCommandArgs('eval', ctx.argv, {
      dataset: { type: 'string' },
      shots: { type: 'string' },
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
    const config = loadConfig({ file: values.config, env: ctx.env });
    const r = await evaluateDataset({ datasetDir, shots, config, log: ctx.log, backend: createBackend(config.inference, ctx.log), ...(maxPets ? { maxPets } : {}) });
    const summary = { pets: r.pets, photos: r.photos, shots: r.shots, top1: r.top1, false_accept: r.false_accept, no_detection: r.no_detection, seconds: r.seconds };
    ctx.stdout(values.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2));
    return 0;
  },
};

import type { Command } from '../command.js';
import { parseCommandArgs, requireString } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { GlovesError, UsageError } from '../../errors.js';
import { createBackend } from '../../inference/select.js';
import { identifyAnimals, openRecognizer } from '../../recognition/index.js';
import { decodeImageFile } from '../../vision/decode.js';

export const identifyCommand: Command = {
  name: 'identify',
  summary: 'name the pets in photos using the gallery',
  usage: `gloves identify --gallery DIR [--json] [--config FILE] IMAGE...
  --json prints one object per image:
    {"image": PATH, "detections": [{"label": "cat"|"dog", "score", "box": [x1,y1,x2,y2], "pet": NAME|null, "confidence"}]}
  An image that cannot be read prints {"image", "error": {"code", "message"}} and the exit code is 1.`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('identify', ctx.argv, {
      gallery: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const galleryDir = requireString('identify', values.gallery, '--gallery');
    if (positionals.length === 0) throw new UsageError('identify: give at least one IMAGE', { command: 'identify' });
    const config = loadConfig({ file: values.config, env: ctx.env });
    const rec = await openRecognizer({ config, log: ctx.log, backend: createBackend(config.inference, ctx.log), galleryDir });
    let failed = 0;
    try {
      for (const image of positionals) {
        try {
          const detections = await identifyAnimals(rec, await decodeImageFile(image));
          if (values.json) ctx.stdout(JSON.stringify({ image, detections }));
          else if (detections.length === 0) ctx.stdout(`${image}: no cat or dog`);
          else
            for (const d of detections)
              ctx.stdout(`${image}: ${d.label} ${d.score} at [${d.box.join(', ')}] -> ${d.pet ?? 'unknown'} (confidence ${d.confidence})`);
        } catch (err) {
          if (!(err instanceof GlovesError) || !err.code.startsWith('IMAGE_')) throw err;
          failed++;
          if (values.json) ctx.stdout(JSON.stringify({ image, error: { code: err.code, message: err.message } }));
          else ctx.stderr(`error [${err.code}]: ${err.message}`);
        }
      }
    } finally {
      await rec.dispose();
    }
    return failed > 0 ? 1 : 0;
  },
};

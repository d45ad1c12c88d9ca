import type { Command } from '../command.js';
import { parseCommandArgs, requireString } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { GlovesError, UsageError } from '../../errors.js';
import { createBackend } from '../../inference/select.js';
import { openRecognizer } from '../../recognition/index.js';
import { enrolPhotos, reembedGallery } from '../../recognition/gallery/enroll.js';
import { slugifyPetName } from '../../recognition/index.js';

export const enrollCommand: Command = {
  name: 'enroll',
  summary: 'add photos of a pet to the gallery (or re-embed it for a new embedder)',
  usage: `gloves enroll --gallery DIR --name NAME [--json] [--config FILE] IMAGE...
  Each photo must show exactly one cat or dog; other photos are rejected with the reason
  and the rest are stored (crop + embedding). The same image given twice is stored once.
  NAME is matched to existing pets by name; another pet's id is refused (PET_NAME_CONFLICT).
  Exit 0: all stored; 3: some rejected; 1 (error NO_PHOTOS_ENROLLED): none stored.
gloves enroll --gallery DIR --reembed [--config FILE]
  Re-embed every stored crop with the configured embedder (after a model change).`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('enroll', ctx.argv, {
      gallery: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      reembed: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const galleryDir = requireString('enroll', values.gallery, '--gallery');
    const config = loadConfig({ file: values.config, env: ctx.env });
    if (!values.reembed) {
      requireString('enroll', values.name, '--name');
      if (positionals.length === 0) throw new UsageError('enroll: give at least one IMAGE', { command: 'enroll' });
    }
    const rec = await openRecognizer({
      config,
      log: ctx.log,
      backend: createBackend(config.inference, ctx.log),
      galleryDir,
      gallery: values.reembed ? { allowModelMismatch: true } : { create: true },
    });
    try {
      if (values.reembed) {
        const n = await reembedGallery(rec.gallery, rec.embedder, ctx.log);
        ctx.stdout(
          values.json
            ? JSON.stringify({ reembedded: n, embedder: rec.embedder.modelId })
            : `re-embedded ${n} photo(s) with ${rec.embedder.modelId}`,
        );
        return 0;
      }
      const { pet, outcomes } = await enrolPhotos(
        { detector: rec.detector, embedder: rec.embedder, gallery: rec.gallery, cropMargin: config.detection.cropMargin, log: ctx.log },
        values.name!,
        positionals,
      );
      if (values.json) {
        ctx.stdout(JSON.stringify({ pet: pet ? { id: pet.id, name: pet.name, photos: pet.photos.length } : null, results: outcomes }));
      } else {
        for (const o of outcomes) {
          if (o.accepted) ctx.stdout(`accepted ${o.image}`);
          else if (o.skipped) ctx.stderr(`skipped ${o.image}: ${o.reason} [${o.code}]`);
          else ctx.stderr(`rejected ${o.image}: ${o.reason} [${o.code}]`);
        }
        if (pet) ctx.stdout(`pet ${pet.name} (id ${pet.id}) now has ${pet.photos.length} photo(s)`);
        // A new pet whose name's id was taken got a suffixed one: say so, it names the MQTT topics.
        if (pet && pet.id !== slugifyPetName(pet.name))
          ctx.stderr(`note: id ${slugifyPetName(pet.name)} belongs to another pet, so ${pet.name} has the id ${pet.id}`);
      }
      if (!pet)
        throw new GlovesError('NO_PHOTOS_ENROLLED', `no photo of ${values.name} was enrolled; nothing was stored`, {
          rejected: outcomes.length,
        });
      return outcomes.every((o) => o.accepted || o.skipped) ? 0 : 3;
    } finally {
      await rec.dispose();
    }
  },
};

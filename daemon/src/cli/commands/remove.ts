import type { Command } from '../command.js';
import { parseCommandArgs, requireString } from '../args.js';
import { UsageError } from '../../errors.js';
import { openGallery } from '../../recognition/gallery/gallery.js';

export const removeCommand: Command = {
  name: 'remove',
  summary: 'remove pets from the gallery (the daemon clears their Home Assistant entities at its next start)',
  usage: `gloves remove --gallery DIR [--json] NAME_OR_ID...
  Removes each pet from the gallery index. An unknown name is an error (PET_NOT_FOUND) and
  removes nothing. Restart \`gloves run\` to clear the pet's retained topics and entities.`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('remove', ctx.argv, {
      gallery: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const dir = requireString('remove', values.gallery, '--gallery');
    if (positionals.length === 0) throw new UsageError('remove: give at least one pet NAME or id', { command: 'remove' });
    // Removal does not embed anything, so the gallery's embedder model is irrelevant here.
    const gallery = openGallery(dir, '', ctx.log, { allowModelMismatch: true });
    // One write: every name is resolved first (a typo removes nothing), the same pet named twice counts once.
    const pets = await gallery.removePets(positionals);
    const removed = pets.map((p) => ({ id: p.id, name: p.name }));
    ctx.stdout(values.json ? JSON.stringify({ removed }) : removed.map((p) => `removed ${p.name} (id ${p.id})`).join('\n'));
    return 0;
  },
};

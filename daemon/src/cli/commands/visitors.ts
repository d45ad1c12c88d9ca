import type { Command } from '../command.js';
import { parseCommandArgs, requireString } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { GlovesError, UsageError } from '../../errors.js';
import { createBackend } from '../../inference/select.js';
import { VisitorBook } from '../../presence/visitors.js';
import { VisitorStore } from '../../presence/visitor-store.js';
import { openRecognizer } from '../../recognition/index.js';
import { enrolPhotos } from '../../recognition/gallery/enroll.js';

const USAGE = `gloves visitors list [--gallery DIR] [--config FILE] [--json]
  The animals that are not enrolled, clustered into visitors (visitor-N) by the daemon:
  sightings (tracks), first and last seen, kept crops (files under DIR/visitors/).
gloves visitors name VISITOR --name NAME [--gallery DIR] [--config FILE] [--json]
  Enrols the visitor's crops as a pet called NAME, through the same checks as
  \`gloves enroll\` (each crop must show exactly one cat or dog), then forgets the visitor.
gloves visitors forget VISITOR [--gallery DIR] [--json]
  Forgets a visitor and deletes its crops.
DIR defaults to the config's gallery.dir. A running daemon drops a named or forgotten
visitor at its next write of the visitors file.`;

export const visitorsCommand: Command = {
  name: 'visitors',
  summary: 'list, name (enrol as a pet) or forget the visitors: unknown animals the daemon clustered',
  usage: USAGE,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('visitors', ctx.argv, {
      gallery: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const [action, key, ...rest] = positionals;
    if (!action || !['list', 'name', 'forget'].includes(action) || rest.length > 0)
      throw new UsageError('visitors: give list, name VISITOR --name NAME, or forget VISITOR', { command: 'visitors' });
    if (action !== 'list' && !key) throw new UsageError(`visitors ${action}: give a VISITOR id`, { command: 'visitors' });
    const config = loadConfig({ file: values.config, env: ctx.env });
    const galleryDir = values.gallery ?? config.gallery.dir;
    const store = new VisitorStore(galleryDir, ctx.log);
    const book = new VisitorBook({}, store.load({ strict: true }));

    if (action === 'list') {
      const rows = book.list().map((v) => ({
        id: v.id,
        sightings: v.sightings,
        first_seen: v.firstSeen,
        last_seen: v.lastSeen,
        crops: v.crops.map((c) => store.cropPath(v.id, c.file)),
      }));
      if (values.json) ctx.stdout(JSON.stringify({ visitors: rows }));
      else if (rows.length === 0) ctx.stdout(`no visitors in ${galleryDir}`);
      else for (const r of rows) ctx.stdout(`${r.id}  ${r.sightings} sighting(s)  last seen ${r.last_seen}  ${r.crops.length} crop(s)`);
      return 0;
    }

    const visitor = book.get(key!);
    if (!visitor) throw new GlovesError('VISITOR_NOT_FOUND', `no visitor ${JSON.stringify(key)} in ${store.dir}`, { visitor: key });
    if (action === 'name') {
      const name = requireString('visitors name', values.name, '--name');
      if (visitor.crops.length === 0)
        throw new GlovesError('NO_PHOTOS_ENROLLED', `visitor ${visitor.id} has no crop yet; nothing was enrolled`, { visitor: visitor.id });
      const rec = await openRecognizer({
        config,
        log: ctx.log,
        backend: createBackend(config.inference, ctx.log),
        galleryDir,
        gallery: { create: true },
      });
      try {
        const { pet, outcomes } = await enrolPhotos(
          { detector: rec.detector, embedder: rec.embedder, gallery: rec.gallery, cropMargin: config.detection.cropMargin, log: ctx.log },
          name,
          visitor.crops.map((c) => store.cropPath(visitor.id, c.file)),
        );
        for (const o of outcomes) if (!o.accepted && !values.json) ctx.stderr(`rejected ${o.image}: ${o.reason} [${o.code}]`);
        if (!pet)
          throw new GlovesError('NO_PHOTOS_ENROLLED', `no crop of ${visitor.id} was enrolled; the visitor is kept`, {
            visitor: visitor.id,
            rejected: outcomes.length,
          });
        forget(book, store, visitor.id);
        const accepted = outcomes.filter((o) => o.accepted).length;
        ctx.stdout(
          values.json
            ? JSON.stringify({ visitor: visitor.id, pet: { id: pet.id, name: pet.name, photos: pet.photos.length }, results: outcomes })
            : `${visitor.id} is now pet ${pet.name} (id ${pet.id}): ${accepted} of ${outcomes.length} crop(s) enrolled`,
        );
        return outcomes.every((o) => o.accepted) ? 0 : 3;
      } finally {
        await rec.dispose();
      }
    }
    forget(book, store, visitor.id);
    ctx.stdout(values.json ? JSON.stringify({ forgotten: visitor.id }) : `forgot ${visitor.id}`);
    return 0;
  },
};

/** Index first (atomic), then the crops: a crash between the two leaves only orphan files. */
function forget(book: VisitorBook, store: VisitorStore, id: string): void {
  book.remove(id);
  store.save(book.snapshot());
  store.deleteVisitor(id);
}

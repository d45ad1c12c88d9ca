import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { listManifests } from '../../models/manifest.js';
import { installItem, installModel, type InstallItem } from '../../models/install.js';
import { defaultMirror, fixturesDir, packageRoot } from '../../util/paths.js';
import { UsageError } from '../../errors.js';

interface FixtureFile { path: string; sha256: string }

export const modelsCommand: Command = {
  name: 'models',
  summary: 'install (and verify) model files and test fixtures named by the manifests',
  usage: `gloves models install [--dir DIR] [--mirror DIR] [--no-fixtures]
  Copies each model named in models/*.json from the mirror (GLOVES_DATA_MIRROR, default ../shared)
  or downloads it from its pinned URL, and verifies its sha256. Fixtures (models/fixtures.json)
  are installed into .fixtures/ the same way.
gloves models list`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('models', ctx.argv, {
      dir: { type: 'string' },
      mirror: { type: 'string' },
      'no-fixtures': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const root = packageRoot();
    const manifests = listManifests(join(root, 'models'));
    const sub = positionals[0];
    if (sub === 'list') {
      for (const m of manifests) ctx.stdout(`${m.name}\t${m.task}\t${m.version}\t${m.sha256.slice(0, 12)}\t${m.file}`);
      return 0;
    }
    if (sub !== 'install') throw new UsageError(`models: unknown subcommand ${JSON.stringify(sub ?? '')}; use install or list`);
    const mirror = values.mirror ? resolve(values.mirror) : defaultMirror(ctx.env);
    const dest = resolve(values.dir ?? join(root, '.models'));
    ctx.log.info(`installing ${manifests.length} models into ${dest}`, { mirror: mirror ?? null });
    for (const m of manifests) {
      const out = await installModel(m, dest, mirror ? join(mirror, 'models') : undefined, ctx.log);
      ctx.stdout(`model ${m.name}: ${out} (sha256 ok)`);
    }
    if (!values['no-fixtures']) {
      const fx = JSON.parse(readFileSync(join(root, 'models', 'fixtures.json'), 'utf8')) as { files: FixtureFile[] };
      const counts: Record<string, number> = {};
      for (const f of fx.files) {
        // Fixtures are downscaled derivatives: only a mirror has the exact bytes.
        const item: InstallItem = { path: f.path, sha256: f.sha256, url: null };
        const out = await installItem(item, fixturesDir(), mirror ? join(mirror, 'fixtures') : undefined, ctx.log);
        counts[out] = (counts[out] ?? 0) + 1;
      }
      ctx.stdout(`fixtures: ${fx.files.length} files verified (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}) in ${fixturesDir()}`);
    }
    return 0;
  },
};

import { dirname, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { listManifests } from '../../models/manifest.js';
import { installItem, installModel, type InstallItem } from '../../models/install.js';
import { defaultMirror, fixturesDir, packageRoot } from '../../util/paths.js';
import { UsageError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { assertInstalled, describePlanned, planModels } from '../../inference/model-plan.js';
import { createBackend } from '../../inference/select.js';
import { verifyModelFile } from '../../models/install.js';
import type { CommandContext } from '../command.js';
import { verifyCommand } from './models-verify.js';
import { changeVersion, listVersions, versionArg } from './models-versions.js';

interface FixtureFile {
  path: string;
  sha256: string;
  /** Public URL of these exact bytes (most fixtures are downscaled derivatives: only a mirror has them). */
  download?: string;
  /** Where the mirror keeps it, relative to the mirror's root (default fixtures/<path>). */
  mirrorPath?: string;
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'install (and verify) model files and test fixtures; pre-build TensorRT engines',
  usage: `gloves models install [--dir DIR] [--mirror DIR] [--no-fixtures]
  Copies each model named in models/*.json from the mirror (GLOVES_DATA_MIRROR, default ../shared)
  or downloads it from its pinned URL, and verifies its sha256. Fixtures (models/fixtures.json)
  are installed into .fixtures/ the same way.
gloves models list
gloves models build-engines [--config FILE]
  Builds (or finds in inference.engineCacheDir) the TensorRT engine of every configured model that
  runs on TensorRT here, with progress every 10 s; lists the models that run on onnxruntime and why.
  A build takes minutes on a Jetson Nano: run this once after install (provisioning does), so the
  first \`gloves run\` starts in seconds. Without TensorRT it builds nothing and exits 0.
gloves models versions [--config FILE]
  The model versions on this device (state directory): builtin and each installed bundle, which is active
  (and on probation), which is the previous one.
gloves models activate VERSION|builtin [--device URL] [--token T] [--config FILE]
gloves models rollback [--device URL] [--token T] [--config FILE]
  Ask the running daemon (its HTTP API, http.listen of the config) to swap to VERSION, or back to the previous
  version. When no daemon runs, the choice is recorded and the next start uses it.
gloves models verify DIR|TAR --trusted-key PUB [--trusted-key PUB...]
  Checks a model bundle as a device does: signed (bundle.sig) by one of the trusted ed25519 public keys,
  and every file bundle.json lists present with its sha256. Exit 0 when it verifies; exit 1 naming the
  reason: unsigned, bad signature, untrusted key, hash mismatch, missing file (or invalid).`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('models', ctx.argv, {
      dir: { type: 'string' },
      mirror: { type: 'string' },
      'no-fixtures': { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      'trusted-key': { type: 'string', multiple: true },
      device: { type: 'string' },
      token: { type: 'string' },
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
    if (sub === 'build-engines') return buildEngines(ctx, values.config);
    if (sub === 'verify') return verifyCommand(ctx, positionals[1], values['trusted-key'] ?? []);
    if (sub === 'versions' || sub === 'activate' || sub === 'rollback') {
      const config = loadConfig({ file: values.config ?? ctx.env.GLOVES_CONFIG, env: ctx.env });
      if (sub === 'versions') return listVersions(ctx, config);
      const opts = { device: values.device, token: values.token ?? ctx.env.GLOVES_HTTP__TOKEN };
      if (sub === 'activate') return changeVersion(ctx, config, { activate: versionArg(sub, positionals[1]) }, opts);
      return changeVersion(ctx, config, { rollback: true }, opts);
    }
    if (sub !== 'install')
      throw new UsageError(
        `models: unknown subcommand ${JSON.stringify(sub ?? '')}; use install, list, build-engines, verify, versions, activate or rollback`,
      );
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
        const item: InstallItem = {
          path: f.path,
          sha256: f.sha256,
          url: f.download ?? null,
          mirrorPath: f.mirrorPath ?? join('fixtures', f.path),
        };
        const out = await installItem(item, fixturesDir(), mirror, ctx.log);
        counts[out] = (counts[out] ?? 0) + 1;
      }
      ctx.stdout(
        `fixtures: ${fx.files.length} files verified (${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}) in ${fixturesDir()}`,
      );
    }
    return 0;
  },
};

const mmss = (ms: number): string => `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}`;

async function buildEngines(ctx: CommandContext, configFile: string | undefined): Promise<number> {
  const config = loadConfig({ file: configFile ?? ctx.env.GLOVES_CONFIG, env: ctx.env });
  const planned = planModels(config);
  for (const p of planned) ctx.stdout(describePlanned(p));
  const onTrt = planned.filter((p) => assertInstalled(p).backend === 'tensorrt');
  if (onTrt.length === 0) {
    ctx.stdout('no model runs on TensorRT here: nothing to build');
    return 0;
  }
  const built = new Set<string>();
  const backend = createBackend(config.inference, ctx.log, {
    heartbeatMs: 10_000,
    onBuildProgress: (p) => {
      built.add(p.model);
      const phase = p.phase ? ` (${p.phase}${p.steps ? ` ${p.step ?? 0}/${p.steps}` : ''})` : '';
      ctx.stderr(p.done ? `${p.model}: built in ${mmss(p.elapsedMs)}` : `${p.model}: building ${mmss(p.elapsedMs)}${phase}`);
    },
  });
  for (const p of onTrt) {
    const t0 = performance.now();
    const session = await backend.load(p.manifest, verifyModelFile(p.manifest, dirname(p.file)), { threads: config.inference.threads });
    await session.dispose();
    ctx.stdout(
      `${p.manifest.name}: TensorRT engine ${built.has(p.manifest.name) ? 'built' : 'already cached'} in ${config.inference.engineCacheDir} (${mmss(performance.now() - t0)})`,
    );
  }
  return 0;
}

import { resolve } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { readPrivateKey } from '../../../../daemon/src/models/bundle-sign.js';
import { DEFAULT_RETRY, MlflowClient, authFromEnv } from '../../registry/client.js';
import { createProgress } from '../../registry/progress.js';
import { pull } from '../../registry/pull.js';
import type { VersionSelector } from '../../registry/resolve.js';

export const pullCommand: Command = {
  name: 'pull',
  summary: 'pull a registered model version from MLflow into a bundle',
  usage: `gloves-trainer pull --registry URL --model NAME (--alias A | --stage S | --version V) --out DIR
    [--key KEY] [--reference IMAGE]
  Resolves the alias, stage or version (READY versions only) on the MLflow server at URL (default
  MLFLOW_TRACKING_URI), and downloads its files through the server's artifact proxy: every page of the
  listing, retries with backoff, resumable (an interrupted pull continues from DIR.partial when run again),
  sha256 of every file. Auth: MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD (basic) or
  MLFLOW_TRACKING_TOKEN (bearer). A version holding a Gloves bundle is checked against its bundle.json; one
  holding a Gloves model (manifest + ONNX file) is bundled, with the reference outputs computed on
  --reference IMAGE. --key signs the result (and records the registry source in bundle.json).`,
  async run(ctx) {
    const { values } = parseCommandArgs('pull', ctx.argv, {
      registry: { type: 'string' },
      model: { type: 'string' },
      alias: { type: 'string' },
      stage: { type: 'string' },
      version: { type: 'string' },
      out: { type: 'string' },
      key: { type: 'string' },
      reference: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const registry = values.registry ?? ctx.env.MLFLOW_TRACKING_URI;
    if (!registry) throw new UsageError('pull: --registry URL is required (or set MLFLOW_TRACKING_URI)');
    const chosen = (['alias', 'stage', 'version'] as const).filter((k) => values[k] !== undefined);
    if (chosen.length !== 1) throw new UsageError('pull: give exactly one of --alias, --stage, --version');
    const k = chosen[0]!;
    const selector = { [k]: values[k] } as VersionSelector;
    const out = resolve(requireString('pull', values.out, '--out'));
    const res = await pull({
      client: new MlflowClient(registry, authFromEnv(ctx.env)),
      model: requireString('pull', values.model, '--model'),
      selector,
      out,
      key: values.key ? readPrivateKey(values.key) : undefined,
      reference: values.reference,
      progress: createProgress(process.stderr),
      retry: DEFAULT_RETRY,
    });
    ctx.stdout(
      `pulled ${res.version.name} version ${res.version.version} (${res.kind}) into ${out}: ${res.doc.files.length} files${values.key ? ', signed' : ''}`,
    );
    return 0;
  },
};

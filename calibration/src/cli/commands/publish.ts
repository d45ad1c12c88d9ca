import { resolve } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { UsageError } from '../../../../daemon/src/errors.js';
import { MlflowClient, authFromEnv } from '../../registry/client.js';
import { createProgress } from '../../registry/progress.js';
import { publish } from '../../registry/publish.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish a bundle to MLflow as a new model version, with its evaluation',
  usage: `gloves-trainer publish --registry URL --model NAME --bundle DIR [--alias A] [--experiment E]
  Creates a run (experiment E, default gloves-bundles), uploads the bundle's files as its artifacts (under
  bundle/), logs the evaluation report's metrics and the calibration parameters, registers a new version of
  NAME from the run and, with --alias, points the alias at it. Same auth as pull.`,
  async run(ctx) {
    const { values } = parseCommandArgs('publish', ctx.argv, {
      registry: { type: 'string' },
      model: { type: 'string' },
      bundle: { type: 'string' },
      alias: { type: 'string' },
      experiment: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const registry = values.registry ?? ctx.env.MLFLOW_TRACKING_URI;
    if (!registry) throw new UsageError('publish: --registry URL is required (or set MLFLOW_TRACKING_URI)');
    const res = await publish({
      client: new MlflowClient(registry, authFromEnv(ctx.env)),
      model: requireString('publish', values.model, '--model'),
      bundleDir: resolve(requireString('publish', values.bundle, '--bundle')),
      alias: values.alias,
      experiment: values.experiment ?? 'gloves-bundles',
      progress: createProgress(process.stderr),
    });
    ctx.stdout(
      `published ${res.version.name} version ${res.version.version} (run ${res.runId})${values.alias ? `, alias ${values.alias}` : ''}`,
    );
    return 0;
  },
};

import { stringify } from 'yaml';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { envOverrideNames, loadConfig } from '../../config/load.js';
import { redactConfig } from '../../config/redact.js';
import { describeConfig } from '../../config/describe.js';
import { describePlanned, planModels } from '../../inference/model-plan.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'check a config file, print the effective config, or list every key with its default',
  usage: `gloves config check [--config FILE]   validate FILE + GLOVES_* env; prints every problem as path: message,
                                      then the inference backend each model will use and why
gloves config show [--config FILE]    print the effective config (defaults + file + env) as YAML, secrets masked
gloves config keys [--json]           list every key: type, default, env variable, description`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('config', ctx.argv, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    const sub = positionals[0] ?? 'check';
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    if (sub === 'keys') {
      const keys = describeConfig();
      if (values.json) ctx.stdout(JSON.stringify(keys, null, 2));
      else
        for (const k of keys)
          ctx.stdout(`${k.path} (${k.type}) default ${JSON.stringify(k.default)}${k.env ? `  [${k.env}]` : ''}\n    ${k.description}`);
      return 0;
    }
    // loadConfig throws ConfigError listing all problems; main() prints it.
    const file = values.config ?? ctx.env.GLOVES_CONFIG;
    const cfg = loadConfig({ file, env: ctx.env });
    if (sub === 'show') ctx.stdout(stringify(redactConfig(cfg)));
    else if (sub === 'check') {
      const env = envOverrideNames(ctx.env);
      const from = [file ?? 'defaults', ...(env.length > 0 ? [`environment ${env.join(', ')}`] : [])];
      ctx.stdout(`config ok (${from.join(' + ')})`);
      // Per model: TensorRT or onnxruntime (inference.backend auto decides per model); throws
      // TRT_UNSUPPORTED_MODEL / BACKEND_UNAVAILABLE where `tensorrt` cannot be honoured.
      for (const p of planModels(cfg)) ctx.stdout(`  ${describePlanned(p)}`);
    } else {
      ctx.stderr(this.usage);
      return 2;
    }
    return 0;
  },
};

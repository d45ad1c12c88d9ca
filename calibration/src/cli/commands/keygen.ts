import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { ModelError } from '../../../../daemon/src/errors.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, generateSigningKey } from '../../../../daemon/src/models/bundle-sign.js';

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'make an ed25519 key pair for signing bundles',
  usage: `gloves-trainer keygen --out DIR
  Writes DIR/${PRIVATE_KEY_FILE} (mode 0600, keep it secret) and DIR/${PUBLIC_KEY_FILE}; put the public key
  in a device's models.trustedKeys. Refuses to overwrite an existing key.`,
  async run(ctx) {
    const { values } = parseCommandArgs('keygen', ctx.argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const out = requireString('keygen', values.out, '--out');
    const priv = join(out, PRIVATE_KEY_FILE);
    const pub = join(out, PUBLIC_KEY_FILE);
    for (const f of [priv, pub])
      if (existsSync(f))
        throw new ModelError('SIGNING_KEY_INVALID', `${f} already exists: refusing to overwrite a signing key`, { file: f });
    mkdirSync(out, { recursive: true });
    const k = generateSigningKey();
    // 'wx': never follow or replace a file that appeared meanwhile; the mode applies at creation.
    writeFileSync(priv, k.privatePem, { mode: 0o600, flag: 'wx' });
    writeFileSync(pub, k.publicPem, { mode: 0o644, flag: 'wx' });
    ctx.stdout(`key ${k.id}: private ${priv} (0600), public ${pub}`);
    return 0;
  },
};

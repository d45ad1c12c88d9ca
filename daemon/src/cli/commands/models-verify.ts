/** `gloves models verify`: the device's bundle check, from the command line. */
import type { CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { openBundle } from '../../models/bundle-archive.js';
import { rejectionOf } from '../../models/bundle.js';
import { readPublicKey } from '../../models/bundle-sign.js';

export async function verifyCommand(ctx: CommandContext, target: string | undefined, keyFiles: readonly string[]): Promise<number> {
  if (!target) throw new UsageError('models verify: give a bundle directory or .tar');
  if (keyFiles.length === 0) throw new UsageError('models verify: give at least one --trusted-key PUB');
  const trusted = keyFiles.map((f) => readPublicKey(f));
  let opened;
  try {
    opened = await openBundle(target, trusted);
  } catch (err) {
    const reason = rejectionOf(err);
    if (!reason) throw err;
    ctx.stdout(`REJECTED (${reason}): ${(err as Error).message}`);
    return 1;
  }
  const { bundle, release } = opened;
  release();
  const models = bundle.manifests.map((m) => `${m.task} ${m.manifest.name}`).join(', ');
  ctx.stdout(`OK: bundle ${bundle.doc.name} (${bundle.doc.files.length} files, ${models}) signed by key ${bundle.signer.id}`);
  return 0;
}

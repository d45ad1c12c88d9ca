/** Model manifests as the trainer uses them: a manifest path plus its verified model file. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readManifest, type ModelManifest } from '../../daemon/src/models/manifest.js';
import { sha256File } from '../../daemon/src/models/install.js';
import { ModelError } from '../../daemon/src/errors.js';
import { packageRoot } from '../../daemon/src/util/paths.js';

export interface ResolvedModel {
  manifest: ModelManifest;
  manifestPath: string;
  file: string;
}

/**
 * The model file beside the manifest (trainer outputs), else in the package's
 * .models/ (installed models); its sha256 must match the manifest.
 */
export function resolveModel(manifestPath: string): ResolvedModel {
  const manifest = readManifest(manifestPath);
  const candidates = [join(dirname(resolve(manifestPath)), manifest.file), join(packageRoot(), '.models', manifest.file)];
  const file = candidates.find((f) => existsSync(f));
  if (!file)
    throw new ModelError('MODEL_NOT_FOUND', `model file ${manifest.file} for ${manifest.name} is in none of ${candidates.join(', ')}`, {
      model: manifest.name,
    });
  const got = sha256File(file);
  if (got !== manifest.sha256) {
    throw new ModelError(
      'SHA256_MISMATCH',
      `model file ${file} has sha256 ${got}, but manifest ${manifest.name} expects ${manifest.sha256}`,
      { file, expected: manifest.sha256, actual: got },
    );
  }
  return { manifest, manifestPath: resolve(manifestPath), file };
}

/**
 * Installs model files and fixtures named by manifests: copy from a local mirror
 * directory when it holds the file, else download the pinned public URL; the
 * sha256 is always verified, and a mismatch is refused (nothing is written).
 *
 * Files are written to `<dest>.partial` and renamed, so a crash never leaves a
 * half-written file under the final name.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModelError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ModelManifest } from './manifest.js';
import { deriveModel } from './derive.js';

export interface InstallItem {
  /** Path relative to the destination (and to the mirror). */
  path: string;
  sha256: string;
  /** Public URL, or null where the file only exists in mirrors (derived files). */
  url: string | null;
  /** Path relative to the mirror when the mirror keeps it elsewhere than `path`. */
  mirrorPath?: string;
}

export type InstallOutcome = 'present' | 'copied' | 'downloaded';

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Is `dest/path` already there with the right hash? */
function isInstalled(dest: string, item: InstallItem): boolean {
  const target = join(dest, item.path);
  return existsSync(target) && statSync(target).isFile() && sha256File(target) === item.sha256;
}

export async function installItem(item: InstallItem, dest: string, mirror: string | undefined, log: Logger): Promise<InstallOutcome> {
  if (isInstalled(dest, item)) return 'present';
  const target = join(dest, item.path);
  let data: Buffer | undefined;
  let outcome: InstallOutcome = 'copied';
  const mirrored = mirror ? join(mirror, item.mirrorPath ?? item.path) : undefined;
  if (mirrored && existsSync(mirrored)) {
    data = readFileSync(mirrored);
  } else if (item.url) {
    log.info(`downloading ${item.path}`, { url: item.url });
    const res = await fetch(item.url).catch((err: unknown) => {
      throw new ModelError('DOWNLOAD_FAILED', `cannot download ${item.path} from ${item.url}: ${(err as Error).message}`, { url: item.url });
    });
    if (!res.ok) throw new ModelError('DOWNLOAD_FAILED', `cannot download ${item.path}: HTTP ${res.status} from ${item.url}`, { url: item.url });
    data = Buffer.from(await res.arrayBuffer());
    outcome = 'downloaded';
  } else {
    throw new ModelError(
      'SOURCE_UNAVAILABLE',
      `${item.path} has no public download URL and is not in the mirror ${mirror ?? '(none set)'}: set GLOVES_DATA_MIRROR to a directory holding it`,
      { path: item.path, mirror },
    );
  }
  const got = createHash('sha256').update(data).digest('hex');
  if (got !== item.sha256) {
    throw new ModelError('SHA256_MISMATCH', `refusing ${item.path}: sha256 ${got} does not match the manifest's ${item.sha256}`, {
      path: item.path,
      expected: item.sha256,
      actual: got,
    });
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target + '.partial', data);
  renameSync(target + '.partial', target);
  return outcome;
}

export function modelItem(m: ModelManifest): InstallItem {
  return { path: m.file, sha256: m.sha256, url: m.source.url };
}

/** Hashes an installed copy of `m` may have: the manifest's, and a derived copy's. */
export function acceptedHashes(m: ModelManifest): string[] {
  const d = m.source.derivedFrom;
  return d ? [m.sha256, d.resultSha256] : [m.sha256];
}

/**
 * Install one model: the mirror's copy or pinned URL when there is one; for a derived model
 * without a mirror copy, fetch and verify the base model, apply the recipe, verify the result.
 */
export async function installModel(m: ModelManifest, dest: string, mirror: string | undefined, log: Logger): Promise<InstallOutcome | 'derived'> {
  const d = m.source.derivedFrom;
  if (!d) return installItem(modelItem(m), dest, mirror, log);
  // The base is always installed too (dest/.base): it is the upstream artefact the
  // derived file is checked against, and lets a device re-derive without the mirror.
  const baseDir = join(dest, '.base');
  await installItem({ path: d.file, sha256: d.sha256, url: d.url }, baseDir, mirror, log);
  if (m.source.url || (mirror && existsSync(join(mirror, m.file)))) return installItem(modelItem(m), dest, mirror, log);
  const target = join(dest, m.file);
  if (existsSync(target) && acceptedHashes(m).includes(sha256File(target))) return 'present';
  log.info(`deriving ${m.file} from ${d.file}`, { recipe: d.recipe.kind });
  const out = deriveModel(readFileSync(join(baseDir, d.file)), d.recipe);
  const got = createHash('sha256').update(out).digest('hex');
  if (got !== d.resultSha256) {
    throw new ModelError('SHA256_MISMATCH', `derived ${m.file} has sha256 ${got}, the manifest expects ${d.resultSha256}`, { expected: d.resultSha256, actual: got });
  }
  mkdirSync(dest, { recursive: true });
  writeFileSync(target + '.partial', out);
  renameSync(target + '.partial', target);
  return 'derived';
}

/** Verify an installed model file against its manifest; throws SHA256_MISMATCH / MODEL_NOT_FOUND. */
export function verifyModelFile(m: ModelManifest, modelsDir: string): string {
  const file = join(modelsDir, m.file);
  if (!existsSync(file)) {
    throw new ModelError('MODEL_NOT_FOUND', `model file ${file} for ${m.name} is missing: run \`gloves models install\``, { file, model: m.name });
  }
  const got = sha256File(file);
  if (!acceptedHashes(m).includes(got)) {
    throw new ModelError('SHA256_MISMATCH', `model file ${file} has sha256 ${got}, but manifest ${m.name} expects ${m.sha256}`, {
      file,
      expected: m.sha256,
      actual: got,
    });
  }
  return file;
}

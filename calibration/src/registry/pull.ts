/**
 * `gloves-trainer pull`: a registered model version becomes a bundle in `out`.
 *
 * What a version may hold: a Gloves bundle (bundle.json: what `publish` uploads; its files are checked against
 * bundle.json's sha256s), or a Gloves model (a model manifest and its ONNX file, plus optional calibration
 * cache, evaluation report and statistics: what a training pipeline registers), which is bundled here with
 * its reference outputs. Anything else is ARTIFACT_NOT_A_MODEL, named with the files it does hold. `key`
 * signs the result (a bundle pulled without a key keeps its own signature and bytes).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ModelError, UsageError } from '../../../daemon/src/errors.js';
import { BUNDLE_FILE, SIGNATURE_FILE, parseBundleDoc, type BundleDoc } from '../../../daemon/src/models/bundle.js';
import { manifestSchema } from '../../../daemon/src/models/manifest.js';
import { buildBundle } from '../bundle/build.js';
import { sealBundle } from '../bundle/seal.js';
import { RegistryError, type MlflowClient, type RetryPolicy } from './client.js';
import { downloadFile, listVersionFiles, type ArtifactFile } from './download.js';
import type { Progress } from './progress.js';
import { resolveVersion, type ModelVersion, type VersionSelector } from './resolve.js';

export interface PullOptions {
  client: MlflowClient;
  model: string;
  selector: VersionSelector;
  out: string;
  key?: KeyObject;
  reference?: string;
  progress: Progress;
  retry: RetryPolicy;
}

export interface PullResult {
  version: ModelVersion;
  doc: BundleDoc;
  kind: 'bundle' | 'model';
}

function notAModel(v: ModelVersion, files: readonly ArtifactFile[], why: string): RegistryError {
  const names = files.map((f) => f.path).join(', ') || 'no files';
  return new RegistryError(
    'ARTIFACT_NOT_A_MODEL',
    `${v.name} version ${v.version} is not a model Gloves understands: ${why} (it holds: ${names})`,
    {
      model: v.name,
      version: v.version,
    },
  );
}

export async function pull(o: PullOptions): Promise<PullResult> {
  if (existsSync(o.out) && readdirSync(o.out).length > 0) throw new UsageError(`pull: ${o.out} is not empty: pull into a new directory`);
  const v = await resolveVersion(o.client, o.model, o.selector);
  const files = await listVersionFiles(o.client, v);
  // Downloads land in a sibling staging directory that survives a failed run: the next run resumes there.
  const staging = `${o.out.replace(/\/+$/, '')}.partial`;
  const fetch = (f: ArtifactFile): Promise<string> => downloadFile(o.client, f, join(staging, f.path), o.progress, o.retry);
  const source = { registry: o.client.base, model: v.name, version: v.version, runId: v.run_id ?? null };

  const bundleJson = files.find((f) => f.path === BUNDLE_FILE);
  if (bundleJson) {
    await fetch(bundleJson);
    const doc = parseBundleDoc(JSON.parse(readFileSync(join(staging, BUNDLE_FILE), 'utf8')), `${v.name} ${v.version}/${BUNDLE_FILE}`);
    const sig = files.find((f) => f.path === SIGNATURE_FILE);
    if (sig) await fetch(sig);
    for (const entry of doc.files) {
      const f = files.find((x) => x.path === entry.path);
      if (!f)
        throw new ModelError(
          'BUNDLE_FILE_MISSING',
          `${v.name} version ${v.version}: ${entry.path}, listed in bundle.json, is not in the registry`,
          {
            path: entry.path,
            reason: 'missing file',
          },
        );
      const sha = await fetch(f);
      if (sha !== entry.sha256)
        throw new ModelError(
          'BUNDLE_HASH_MISMATCH',
          `${v.name} version ${v.version}: ${entry.path} has sha256 ${sha}, bundle.json pins ${entry.sha256}`,
          {
            path: entry.path,
            reason: 'hash mismatch',
          },
        );
    }
    // Only what bundle.json names goes into the bundle (a registry folder may hold more, e.g. MLmodel).
    for (const p of [BUNDLE_FILE, ...(sig ? [SIGNATURE_FILE] : []), ...doc.files.map((f) => f.path)]) {
      mkdirSync(dirname(join(o.out, p)), { recursive: true });
      renameSync(join(staging, p), join(o.out, p));
    }
    rmSync(staging, { recursive: true, force: true });
    const sealed = o.key ? sealBundle(o.out, { ...doc, source }, o.key) : doc;
    return { version: v, doc: sealed, kind: 'bundle' };
  }

  const jsons = files.filter((f) => f.path.endsWith('.json'));
  if (jsons.length === 0) throw notAModel(v, files, 'no bundle.json and no Gloves model manifest');
  for (const j of jsons) await fetch(j);
  const manifests = jsons.filter((j) => {
    try {
      const m = manifestSchema.safeParse(JSON.parse(readFileSync(join(staging, j.path), 'utf8')));
      return m.success && files.some((f) => f.path === posix.join(posix.dirname(j.path), m.data.file));
    } catch {
      return false;
    }
  });
  if (manifests.length === 0)
    throw notAModel(v, files, 'no bundle.json, and no JSON file is a Gloves model manifest beside its model file');
  if (!o.reference)
    throw new UsageError(
      `pull: ${v.name} version ${v.version} holds a model, not a bundle: give --reference IMAGE to record its reference outputs`,
    );
  const manifestPaths = manifests.map((j) => join(staging, j.path));
  for (const j of manifests) {
    const m = manifestSchema.parse(JSON.parse(readFileSync(join(staging, j.path), 'utf8')));
    await fetch(files.find((f) => f.path === posix.join(posix.dirname(j.path), m.file))!);
  }
  const optional = async (test: (p: string) => boolean): Promise<string | undefined> => {
    const f = files.find((x) => test(x.path) && !manifests.includes(x));
    if (!f) return undefined;
    await fetch(f);
    return join(staging, f.path);
  };
  const calibration = await optional((p) => p.endsWith('.calib') || p.endsWith('.cache'));
  const report = await optional((p) => p.endsWith('.evaluation.json') || posix.basename(p) === 'evaluation.json');
  const stats = await optional((p) => p.includes('stats') && p.endsWith('.json'));
  const doc = await buildBundle({
    models: manifestPaths,
    reference: o.reference,
    out: o.out,
    key: o.key,
    calibration,
    report,
    stats,
    name: `${v.name}@${v.version}`,
    source,
  });
  rmSync(staging, { recursive: true, force: true });
  return { version: v, doc, kind: 'model' };
}

/**
 * `gloves-trainer publish`: a bundle goes back to the registry as a new model version. One run per publish
 * (in the experiment `gloves-bundles` unless told otherwise) holds the bundle's files under `bundle/`, the
 * evaluation report's numeric metrics and the calibration parameters; the version is created from that folder
 * (waiting until it is READY) and optionally given an alias. A bundle published and pulled back is
 * byte-identical: the files are uploaded as they are.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_FILE, SIGNATURE_FILE, parseBundleDoc, type BundleDoc } from '../../../daemon/src/models/bundle.js';
import { RegistryError, proxyPath, type MlflowClient } from './client.js';
import type { Progress } from './progress.js';
import type { ModelVersion } from './resolve.js';

export interface PublishOptions {
  client: MlflowClient;
  model: string;
  bundleDir: string;
  alias?: string;
  experiment: string;
  progress: Progress;
  /** How long to wait for the new version to become READY. */
  readyTimeoutMs?: number;
  pollMs?: number;
}

type Kv = { key: string; value: string };

/** Pure: the numeric leaves of an evaluation report's metrics, as MLflow metric keys (dots between levels). */
export function reportMetrics(report: unknown, prefix = ''): { key: string; value: number }[] {
  if (typeof report === 'number' && Number.isFinite(report)) return [{ key: prefix, value: report }];
  if (typeof report === 'boolean') return [{ key: prefix, value: report ? 1 : 0 }];
  if (report === null || typeof report !== 'object' || Array.isArray(report)) return [];
  return Object.entries(report).flatMap(([k, v]) => reportMetrics(v, prefix ? `${prefix}.${k}` : k.replace(/[^A-Za-z0-9_./ -]/g, '_')));
}

/** Pure: the parameters a bundle's calibration and gate were made with (MLflow params are strings, <= 100). */
export function bundleParams(doc: BundleDoc, report: Record<string, unknown> | null, calibrationHeader: string | null): Kv[] {
  const p: Kv[] = [
    { key: 'gloves.bundle', value: doc.name },
    { key: 'gloves.embedder_id', value: doc.embedderId },
    { key: 'gloves.models', value: doc.models.map((m) => m.task).join(',') },
  ];
  if (doc.calibration) {
    p.push({ key: 'calibration.cache', value: doc.calibration });
    p.push({ key: 'calibration.cache_sha256', value: doc.files.find((f) => f.path === doc.calibration)!.sha256 });
    // A TensorRT cache's first line names its version and algorithm, e.g. TRT-100300-EntropyCalibration2.
    if (calibrationHeader) p.push({ key: 'calibration.header', value: calibrationHeader });
  }
  const gate = (report?.gate ?? null) as Record<string, unknown> | null;
  if (gate) for (const [k, v] of Object.entries(gate)) if (typeof v === 'number') p.push({ key: `gate.${k}`, value: String(v) });
  if (report && typeof report.task === 'string') p.push({ key: 'evaluation.task', value: report.task });
  return p.slice(0, 100);
}

async function experimentId(client: MlflowClient, name: string): Promise<string> {
  try {
    const r = await client.rpc<{ experiment: { experiment_id: string } }>(
      'GET',
      'experiments/get-by-name',
      { experiment_name: name },
      `experiment ${name}`,
    );
    return r.experiment.experiment_id;
  } catch (err) {
    if (!(err instanceof RegistryError) || err.code !== 'REGISTRY_NOT_FOUND') throw err;
  }
  return (await client.rpc<{ experiment_id: string }>('POST', 'experiments/create', { name }, `create experiment ${name}`)).experiment_id;
}

async function upload(client: MlflowClient, root: string, path: string, data: Buffer, progress: Progress): Promise<void> {
  progress.file(path, data.length);
  const res = await client.send(
    client.artifactUrl(`${root}/${path}`),
    { method: 'PUT', body: new Uint8Array(data), headers: { 'content-type': 'application/octet-stream' } },
    `upload of ${path}`,
  );
  if (!res.ok) await client.fail(res, `upload of ${path}`);
  await res.body?.cancel();
  progress.advance(data.length);
  progress.done(`uploaded ${path} (${data.length} bytes)`);
}

export async function publish(o: PublishOptions): Promise<{ version: ModelVersion; runId: string }> {
  const { client } = o;
  const raw = readFileSync(join(o.bundleDir, BUNDLE_FILE));
  const doc = parseBundleDoc(JSON.parse(raw.toString('utf8')), join(o.bundleDir, BUNDLE_FILE));
  const report = doc.report ? (JSON.parse(readFileSync(join(o.bundleDir, doc.report), 'utf8')) as Record<string, unknown>) : null;
  const header = doc.calibration
    ? readFileSync(join(o.bundleDir, doc.calibration)).subarray(0, 200).toString('latin1').split('\n')[0]!
    : null;

  const exp = await experimentId(client, o.experiment);
  const now = Date.now();
  const run = await client.rpc<{ run: { info: { run_id: string; artifact_uri: string } } }>(
    'POST',
    'runs/create',
    { experiment_id: exp, start_time: now, run_name: doc.name, tags: [{ key: 'gloves.bundle', value: doc.name }] },
    'create run',
  );
  const runId = run.run.info.run_id;
  const root = proxyPath(run.run.info.artifact_uri);
  if (root === null)
    throw new RegistryError(
      'REGISTRY_FAILED',
      `run ${runId} stores artifacts at ${run.run.info.artifact_uri}: Gloves uploads only through the server's artifact proxy (mlflow-artifacts:)`,
      { runId },
    );
  const names = [BUNDLE_FILE, SIGNATURE_FILE, ...doc.files.map((f) => f.path)];
  for (const name of names) {
    let data: Buffer;
    try {
      data = readFileSync(join(o.bundleDir, name));
    } catch {
      if (name === SIGNATURE_FILE) continue; // an unsigned bundle is published unsigned
      throw new RegistryError('REGISTRY_FAILED', `bundle ${o.bundleDir} lists ${name}, which is missing`, { path: name });
    }
    await upload(client, root, `bundle/${name}`, data, o.progress);
  }
  const metrics = reportMetrics(report?.metrics ?? {}).map((m) => ({ ...m, timestamp: now, step: 0 }));
  const params = bundleParams(doc, report, header);
  for (let i = 0; i < Math.max(metrics.length, 1); i += 1000)
    await client.rpc(
      'POST',
      'runs/log-batch',
      { run_id: runId, metrics: metrics.slice(i, i + 1000), params: i === 0 ? params : [], tags: [] },
      'log metrics',
    );
  await client.rpc('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() }, 'finish run');
  try {
    await client.rpc('POST', 'registered-models/create', { name: o.model }, `register ${o.model}`);
  } catch (err) {
    if (!(err instanceof RegistryError) || err.context.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw err;
  }
  let v = (
    await client.rpc<{ model_version: ModelVersion }>(
      'POST',
      'model-versions/create',
      { name: o.model, source: `${run.run.info.artifact_uri.replace(/\/+$/, '')}/bundle`, run_id: runId, description: doc.name },
      'create model version',
    )
  ).model_version;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
  while (v.status !== 'READY') {
    if (v.status === 'FAILED_REGISTRATION')
      throw new RegistryError('REGISTRY_FAILED', `version ${v.version} of ${o.model} failed to register: ${v.status_message ?? ''}`, {
        version: v.version,
      });
    if (Date.now() > deadline)
      throw new RegistryError('REGISTRY_NO_READY_VERSION', `version ${v.version} of ${o.model} is still ${v.status} after waiting`, {
        version: v.version,
      });
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    v = (
      await client.rpc<{ model_version: ModelVersion }>(
        'GET',
        'model-versions/get',
        { name: o.model, version: v.version },
        'version status',
      )
    ).model_version;
  }
  if (o.alias)
    await client.rpc('POST', 'registered-models/alias', { name: o.model, alias: o.alias, version: v.version }, `alias ${o.alias}`);
  return { version: v, runId };
}

/** Which registered model version to pull: by alias, stage or version, READY versions only. */
import { RegistryError, type MlflowClient } from './client.js';

export interface ModelVersion {
  name: string;
  version: string;
  current_stage?: string;
  source?: string;
  run_id?: string;
  status?: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  status_message?: string;
  aliases?: string[];
}

export type VersionSelector = { alias: string } | { stage: string } | { version: string };

interface RegisteredModel {
  name: string;
  latest_versions?: ModelVersion[];
  aliases?: { alias: string; version: string }[];
}

function notReady(name: string, v: ModelVersion, how: string): RegistryError {
  return new RegistryError(
    'REGISTRY_NO_READY_VERSION',
    `${name} ${how} is version ${v.version}, which is ${v.status ?? 'of unknown status'}${v.status_message ? ` (${v.status_message})` : ''}: only READY versions are pulled`,
    { model: name, version: v.version, status: v.status },
  );
}

export async function getRegisteredModel(client: MlflowClient, name: string): Promise<RegisteredModel> {
  try {
    const r = await client.rpc<{ registered_model: RegisteredModel }>('GET', 'registered-models/get', { name }, `model ${name}`);
    return r.registered_model;
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'REGISTRY_NOT_FOUND')
      throw new RegistryError('REGISTRY_NOT_FOUND', `no registered model named ${JSON.stringify(name)} at ${client.base}`, { model: name });
    throw err;
  }
}

/** Every version of `name` (model-versions/search, all pages). */
export async function searchVersions(client: MlflowClient, name: string): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  let pageToken: string | undefined;
  do {
    const r = await client.rpc<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
      'GET',
      'model-versions/search',
      { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: 100, page_token: pageToken },
      `versions of ${name}`,
    );
    out.push(...(r.model_versions ?? []));
    pageToken = r.next_page_token || undefined;
  } while (pageToken);
  return out;
}

export async function resolveVersion(client: MlflowClient, name: string, sel: VersionSelector): Promise<ModelVersion> {
  const model = await getRegisteredModel(client, name);
  let v: ModelVersion;
  if ('alias' in sel) {
    try {
      const r = await client.rpc<{ model_version: ModelVersion }>(
        'GET',
        'registered-models/alias',
        { name, alias: sel.alias },
        `alias ${sel.alias}`,
      );
      v = r.model_version;
    } catch (err) {
      if (!(err instanceof RegistryError) || err.code !== 'REGISTRY_NOT_FOUND') throw err;
      const known = (model.aliases ?? []).map((a) => `${a.alias} -> ${a.version}`).join(', ') || 'none';
      throw new RegistryError('REGISTRY_NOT_FOUND', `${name} has no alias ${JSON.stringify(sel.alias)} (aliases: ${known})`, {
        model: name,
        alias: sel.alias,
      });
    }
    if (v.status !== 'READY') throw notReady(name, v, `alias ${sel.alias}`);
    return v;
  }
  if ('version' in sel) {
    try {
      v = (
        await client.rpc<{ model_version: ModelVersion }>(
          'GET',
          'model-versions/get',
          { name, version: sel.version },
          `version ${sel.version}`,
        )
      ).model_version;
    } catch (err) {
      if (!(err instanceof RegistryError) || err.code !== 'REGISTRY_NOT_FOUND') throw err;
      throw new RegistryError('REGISTRY_NOT_FOUND', `${name} has no version ${sel.version}`, { model: name, version: sel.version });
    }
    if (v.status !== 'READY') throw notReady(name, v, `version ${sel.version}`);
    return v;
  }
  const latest = await client.rpc<{ model_versions?: ModelVersion[] }>(
    'POST',
    'registered-models/get-latest-versions',
    { name, stages: [sel.stage] },
    `stage ${sel.stage}`,
  );
  const top = latest.model_versions?.[0];
  if (top?.status === 'READY') return top;
  // The latest in the stage is still registering (or failed): the newest READY one in that stage, if any.
  const ready = (await searchVersions(client, name))
    .filter((x) => x.current_stage === sel.stage && x.status === 'READY')
    .sort((a, b) => Number(b.version) - Number(a.version));
  if (ready[0]) return ready[0];
  throw new RegistryError(
    'REGISTRY_NO_READY_VERSION',
    top
      ? `${name} has no READY version in stage ${sel.stage} (the latest, version ${top.version}, is ${top.status ?? 'of unknown status'})`
      : `${name} has no version in stage ${sel.stage}`,
    { model: name, stage: sel.stage },
  );
}

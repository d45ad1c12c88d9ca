/**
 * A model version's files, through the server's artifact proxy: where they are (get-download-uri, runs/get),
 * what they are (mlflow/artifacts/list, every page, recursively), and their bytes (resumable: a `.part` file
 * grows with `Range` requests across failed attempts and across runs, so an interrupted pull continues where
 * it stopped; the expected size is checked, and a connection that keeps ending early is DOWNLOAD_TRUNCATED).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RegistryError, proxyPath, type MlflowClient, type RetryPolicy } from './client.js';
import type { Progress } from './progress.js';
import type { ModelVersion } from './resolve.js';

export interface ArtifactFile {
  /** Relative to the model version's artifact directory. */
  path: string;
  size: number | null;
  /** Path under the proxy's /api/2.0/mlflow-artifacts/artifacts/. */
  proxy: string;
}

interface ListedFile {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

async function runArtifactRoot(client: MlflowClient, runId: string): Promise<string> {
  const r = await client.rpc<{ run: { info: { artifact_uri: string } } }>('GET', 'runs/get', { run_id: runId }, `run ${runId}`);
  return r.run.info.artifact_uri;
}

/** The proxy path of the version's files. */
async function versionLocation(client: MlflowClient, v: ModelVersion): Promise<{ proxy: string; runSub: string | null }> {
  const r = await client.rpc<{ artifact_uri?: string }>(
    'GET',
    'model-versions/get-download-uri',
    { name: v.name, version: v.version },
    `files of ${v.name} ${v.version}`,
  );
  let uri = r.artifact_uri ?? v.source ?? '';
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri);
  if (runs) uri = `${(await runArtifactRoot(client, runs[1]!)).replace(/\/+$/, '')}/${runs[2]}`;
  const proxy = proxyPath(uri);
  if (proxy === null)
    throw new RegistryError(
      'REGISTRY_FAILED',
      `${v.name} version ${v.version} is stored at ${uri || '(no location)'}: Gloves fetches model files only through the server's artifact proxy (mlflow-artifacts:)`,
      { uri },
    );
  let runSub: string | null = null;
  if (v.run_id) {
    const root = proxyPath(await runArtifactRoot(client, v.run_id));
    if (root !== null && (proxy === root || proxy.startsWith(`${root}/`))) runSub = proxy.slice(root.length + 1);
  }
  return { proxy, runSub };
}

/** Every file of a model version, with its size. */
export async function listVersionFiles(client: MlflowClient, v: ModelVersion): Promise<ArtifactFile[]> {
  const { proxy, runSub } = await versionLocation(client, v);
  const out: ArtifactFile[] = [];
  if (runSub !== null && v.run_id) {
    // The run's listing: paginated, paths relative to the run's artifact root.
    const walk = async (dir: string): Promise<void> => {
      let pageToken: string | undefined;
      do {
        const r = await client.rpc<{ files?: ListedFile[]; next_page_token?: string }>(
          'GET',
          'artifacts/list',
          { run_id: v.run_id, path: dir || undefined, page_token: pageToken },
          `artifact list of run ${v.run_id}`,
        );
        for (const f of r.files ?? []) {
          if (f.is_dir) await walk(f.path);
          else {
            const rel = runSub ? f.path.slice(runSub.length + 1) : f.path;
            out.push({ path: rel, size: f.file_size ?? null, proxy: `${proxy}/${rel}` });
          }
        }
        pageToken = r.next_page_token || undefined;
      } while (pageToken);
    };
    await walk(runSub);
  } else {
    // No run: the proxy's own listing (basenames, one directory per call).
    const walk = async (rel: string): Promise<void> => {
      const url = `${client.base}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(rel ? `${proxy}/${rel}` : proxy)}`;
      const res = await client.send(url, { method: 'GET' }, `artifact list of ${v.name} ${v.version}`);
      if (!res.ok) await client.fail(res, `artifact list of ${v.name} ${v.version}`);
      const r = (await res.json()) as { files?: ListedFile[] };
      for (const f of r.files ?? []) {
        const p = rel ? `${rel}/${f.path}` : f.path;
        if (f.is_dir) await walk(p);
        else out.push({ path: p, size: f.file_size ?? null, proxy: `${proxy}/${p}` });
      }
    };
    await walk('');
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Download one file to `dest` (via `dest.part`, resumed with Range); returns its sha256. */
export async function downloadFile(
  client: MlflowClient,
  f: ArtifactFile,
  dest: string,
  progress: Progress,
  retry: RetryPolicy,
): Promise<string> {
  const part = `${dest}.part`;
  mkdirSync(dirname(dest), { recursive: true });
  // Finished by an earlier run (the size is known and matches): not fetched again.
  if (f.size !== null && existsSync(dest) && statSync(dest).size === f.size) {
    const sha = createHash('sha256').update(readFileSync(dest)).digest('hex');
    progress.done(`${f.path}: ${f.size} bytes (already downloaded), sha256 ${sha.slice(0, 16)}`);
    return sha;
  }
  let have = existsSync(part) ? statSync(part).size : 0;
  let expected = f.size;
  progress.file(f.path, expected ?? 0);
  progress.advance(have);
  let lastProblem = '';
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    if (attempt > 1) await sleep(retry.baseDelayMs * 2 ** (attempt - 2));
    if (expected !== null && have === expected) break;
    const res = await client.send(
      client.artifactUrl(f.proxy),
      { method: 'GET', headers: have > 0 ? { range: `bytes=${have}-` } : {} },
      f.path,
    );
    if (res.status === 416 && expected !== null && have >= expected) break;
    if (!res.ok) await client.fail(res, `download of ${f.path}`);
    if (res.status === 200 && have > 0) have = 0; // the server ignored Range: start over
    const len = Number(res.headers.get('content-length') ?? NaN);
    if (expected === null && Number.isFinite(len)) expected = have + len;
    const fd = openSync(part, have === 0 ? 'w' : 'a');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        writeSync(fd, chunk);
        have += chunk.length;
        progress.advance(chunk.length);
      }
    } catch (err) {
      lastProblem = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    } finally {
      closeSync(fd);
    }
    if (expected === null || have === expected) {
      if (expected === null) expected = have;
      break;
    }
    if (have > expected) {
      have = 0; // longer than announced: the partial file is not this file
      lastProblem = `received more than the ${expected} bytes announced`;
    } else lastProblem ||= `connection ended after ${have} of ${expected} bytes`;
  }
  if (expected === null || have !== expected)
    throw new RegistryError(
      'DOWNLOAD_TRUNCATED',
      `download of ${f.path} stopped at ${have} of ${expected ?? '?'} bytes after ${retry.attempts} attempts (${lastProblem}); run the same command again to resume`,
      { path: f.path, received: have, expected },
    );
  renameSync(part, dest);
  const sha = createHash('sha256').update(readFileSync(dest)).digest('hex');
  progress.done(`${f.path}: ${have} bytes, sha256 ${sha.slice(0, 16)}`);
  return sha;
}

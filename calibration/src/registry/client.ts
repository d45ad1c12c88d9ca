/**
 * A small MLflow REST client (shapes: shared docs, mlflow.md): auth from the MLFLOW_TRACKING_* variables,
 * JSON RPCs under /api/2.0/, MLflow's error bodies turned into stable trainer codes, and retries with
 * exponential backoff for what is worth retrying (network errors, 429, 500, 502, 504). A 503 from the artifact
 * proxy means the server does not serve artifacts: that is said at once, never retried.
 */
import { TrainerError } from '../errors.js';

export interface RegistryAuth {
  username?: string;
  password?: string;
  token?: string;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250 };

/** Basic from MLFLOW_TRACKING_USERNAME + PASSWORD, else Bearer MLFLOW_TRACKING_TOKEN, else none. */
export function authFromEnv(env: NodeJS.ProcessEnv): RegistryAuth {
  return { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD, token: env.MLFLOW_TRACKING_TOKEN };
}

export function authHeader(a: RegistryAuth): string | undefined {
  if (a.username !== undefined) return `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`;
  if (a.token) return `Bearer ${a.token}`;
  return undefined;
}

/** MLflow's error body, when the response has one. */
interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

export class RegistryError extends TrainerError {}

const RETRYABLE = new Set([429, 500, 502, 504]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class MlflowClient {
  readonly base: string;
  private readonly auth: RegistryAuth;
  private readonly retry: RetryPolicy;

  constructor(baseUrl: string, auth: RegistryAuth, retry: RetryPolicy = DEFAULT_RETRY) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.auth = auth;
    this.retry = retry;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h = authHeader(this.auth);
    return { ...(h ? { authorization: h } : {}), ...extra };
  }

  /**
   * fetch() with retries on network errors and retryable statuses; returns the last response otherwise.
   * `what` names the request in errors.
   */
  async send(url: string, init: RequestInit, what: string): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(this.retry.baseDelayMs * 2 ** (attempt - 2));
      let res: Response;
      try {
        res = await fetch(url, { ...init, headers: { ...this.headers(), ...(init.headers as Record<string, string>) } });
      } catch (err) {
        lastError = err;
        continue;
      }
      if (RETRYABLE.has(res.status) && attempt < this.retry.attempts) {
        await res.body?.cancel();
        continue;
      }
      return res;
    }
    const cause = (lastError as { cause?: { message?: string } })?.cause?.message ?? (lastError as Error)?.message ?? 'unknown error';
    throw new RegistryError(
      'REGISTRY_FAILED',
      `${what}: cannot reach the registry at ${this.base} (${this.retry.attempts} attempts): ${cause}`,
      {
        url,
      },
    );
  }

  /** Throws the right RegistryError for a failed response (401/403, proxy off, MLflow's error body). */
  async fail(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: MlflowErrorBody = {};
    try {
      body = JSON.parse(text) as MlflowErrorBody;
    } catch {
      // not JSON: the status says enough
    }
    const detail = body.message ?? (text.slice(0, 200) || res.statusText);
    const ctx = { status: res.status, errorCode: body.error_code, url: res.url };
    if (res.status === 401)
      throw new RegistryError(
        'REGISTRY_AUTH',
        `${what}: 401 unauthorized at ${this.base}: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN (${detail})`,
        ctx,
      );
    if (res.status === 403)
      throw new RegistryError('REGISTRY_AUTH', `${what}: 403 forbidden: these credentials may not do this (${detail})`, ctx);
    if (res.status === 503 && res.url.includes('/mlflow-artifacts/'))
      throw new RegistryError(
        'REGISTRY_PROXY_DISABLED',
        `${what}: the registry at ${this.base} does not serve artifacts (503 from its artifact proxy; started with --no-serve-artifacts?): ` +
          'Gloves downloads and uploads model files only through the proxy',
        ctx,
      );
    if (body.error_code === 'RESOURCE_DOES_NOT_EXIST') throw new RegistryError('REGISTRY_NOT_FOUND', `${what}: ${detail}`, ctx);
    throw new RegistryError(
      'REGISTRY_FAILED',
      `${what}: HTTP ${res.status}${body.error_code ? ` ${body.error_code}` : ''}: ${detail}`,
      ctx,
    );
  }

  /** A JSON RPC under /api/2.0/mlflow/. */
  async rpc<T>(method: 'GET' | 'POST', path: string, args: Record<string, unknown>, what: string): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${path}`;
    const init: RequestInit = { method };
    if (method === 'GET') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(args)) if (v !== undefined) q.set(k, String(v));
      if ([...q.keys()].length > 0) url += `?${q.toString()}`;
    } else {
      init.body = JSON.stringify(args);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await this.send(url, init, what);
    if (!res.ok) return this.fail(res, what);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw new RegistryError('REGISTRY_FAILED', `${what}: the registry answered with something that is not JSON`, { url });
    }
  }

  /** URL of a proxied artifact path (`X` of an `mlflow-artifacts:[//host]/X` URI). */
  artifactUrl(path: string): string {
    return `${this.base}/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** Pure: the proxy path X of `mlflow-artifacts:/X` or `mlflow-artifacts://host/X`; null for any other scheme. */
export function proxyPath(uri: string): string | null {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
  return m ? m[1]!.replace(/\/+$/, '') : null;
}

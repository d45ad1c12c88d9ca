/**
 * `gloves models versions|activate|rollback`: the model versions of this device. Listing reads the state
 * directory (the daemon need not run). Activate and rollback ask the running daemon through its API, which swaps
 * between frames; when no daemon answers, they change the store so the next start runs the chosen version.
 */
import { join, resolve } from 'node:path';
import type { GlovesConfig } from '../../config/schema.js';
import { GlovesError, ModelError, UsageError, isErrorCode } from '../../errors.js';
import { ModelStore } from '../../models/store.js';
import { readToken } from '../../http/config.js';
import type { CommandContext } from '../command.js';

const storeOf = (config: GlovesConfig): ModelStore => new ModelStore(join(resolve(config.device.stateDir), 'models'));

export function listVersions(ctx: CommandContext, config: GlovesConfig): number {
  const store = storeOf(config);
  const state = store.read();
  const mark = (id: string | null): string =>
    id === state.active
      ? state.probation
        ? `active, on probation until ${state.probation.until}`
        : 'active'
      : id === state.previous
        ? 'previous'
        : '';
  ctx.stdout(`builtin\t(the configured models)\t${mark(null)}`);
  for (const v of store.versions()) ctx.stdout(`${v.id}\t${v.name}\t${v.embedderId}\t${v.createdAt}\t${mark(v.id)}`);
  return 0;
}

interface ApiTarget {
  url: string;
  token: string | undefined;
  /** Why the configured token could not be read: reported only if the daemon then refuses (401). */
  tokenProblem?: GlovesError;
}

function apiTarget(config: GlovesConfig, device: string | undefined, token: string | undefined): ApiTarget | null {
  // An explicit --token wins; otherwise the daemon's own. A bad token file must not block the
  // offline path (no daemon running: the choice is recorded), so its error waits for a refusal.
  let t = token;
  let tokenProblem: GlovesError | undefined;
  if (t === undefined) {
    try {
      t = readToken(config.http);
    } catch (err) {
      if (!(err instanceof GlovesError) || err.code !== 'HTTP_NO_TOKEN') throw err;
      tokenProblem = err;
    }
  }
  const withToken = { token: t, ...(tokenProblem ? { tokenProblem } : {}) };
  if (device) return { url: device.replace(/\/+$/, ''), ...withToken };
  if (config.http.listen === 'off') return null;
  const scheme = config.http.tls ? 'https' : 'http';
  return { url: `${scheme}://${config.http.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`, ...withToken };
}

/** POST to the daemon; null when nothing listens there (the daemon is not running). */
async function callDaemon(
  target: ApiTarget,
  path: string,
): Promise<{ active: string | null; name: string; previous: string | null } | null> {
  let res: Response;
  try {
    res = await fetch(target.url + path, { method: 'POST', headers: target.token ? { authorization: `Bearer ${target.token}` } : {} });
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return null;
    throw new GlovesError('SOURCE_UNAVAILABLE', `cannot reach the daemon at ${target.url}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string };
    active?: string | null;
    name?: string;
    previous?: string | null;
  };
  if (!res.ok) {
    if (res.status === 401 && target.tokenProblem) throw target.tokenProblem;
    const code = body.error?.code;
    // The daemon's own code, kept: the caller (and a script) sees MODEL_VERSION_NOT_FOUND, HTTP_UNAUTHORIZED, ...
    throw new GlovesError(
      isErrorCode(code) ? code : 'SOURCE_UNAVAILABLE',
      `the daemon refused (${res.status}): ${body.error?.message ?? res.statusText}`,
    );
  }
  return { active: body.active ?? null, name: body.name ?? '', previous: body.previous ?? null };
}

export async function changeVersion(
  ctx: CommandContext,
  config: GlovesConfig,
  what: { activate: string } | { rollback: true },
  opts: { device?: string; token?: string },
): Promise<number> {
  const store = storeOf(config);
  const version = 'activate' in what ? what.activate : null;
  if (version !== null && version !== 'builtin' && !store.has(version) && !opts.device)
    throw new ModelError('MODEL_VERSION_NOT_FOUND', `no model version ${version} in ${store.dir} (see gloves models versions)`);
  const target = apiTarget(config, opts.device, opts.token);
  const path = version === null ? '/v1/models/rollback' : `/v1/models/${version}/activate`;
  const answer = target ? await callDaemon(target, path) : null;
  if (answer) {
    ctx.stdout(
      `daemon at ${target!.url}: version ${answer.active ?? 'builtin'} (${answer.name}) active; previous ${answer.previous ?? 'builtin'}`,
    );
    return 0;
  }
  if (opts.device) throw new GlovesError('SOURCE_UNAVAILABLE', `nothing answers at ${opts.device}`);
  // No daemon: record the choice; the next start loads it (no probation: an operator chose it by hand).
  const state = store.read();
  const next = version === null ? state.previous : version === 'builtin' ? null : version;
  if (version === null && state.active === null && state.previous === null)
    throw new ModelError('MODEL_NO_PREVIOUS', 'the built-in models are active and there is no earlier version to roll back to');
  if (next === state.active) {
    ctx.stdout(`version ${next ?? 'builtin'} is already active`);
    return 0;
  }
  state.previous = state.active;
  state.active = next;
  state.probation = null;
  ModelStore.note(
    state,
    next,
    version === null ? 'rollback by gloves models (daemon not running)' : 'activated by gloves models (daemon not running)',
  );
  store.write(state);
  ctx.stdout(`the daemon is not running: version ${next ?? 'builtin'} will be active at its next start`);
  return 0;
}

export function versionArg(sub: string, v: string | undefined): string {
  if (!v) throw new UsageError(`models ${sub}: give a version id (gloves models versions) or builtin`);
  if (v !== 'builtin' && !/^[0-9a-f]{12}$/.test(v))
    throw new UsageError(`models ${sub}: ${JSON.stringify(v)} is not a version id (12 hex digits) or builtin`);
  return v;
}

/**
 * A real `gloves run` with its HTTP API on a free port, a private Mosquitto, and a fresh gallery
 * and state directory: what the API tests talk to over real HTTP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startMosquitto, type Broker } from '../../helpers/mosquitto.js';
import { catClip, requireFixtures } from '../../helpers/paths.js';
import { startDaemon, type RunningDaemon } from '../../daemon/support/daemon.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface HttpDaemon {
  url: string;
  dir: string;
  gallery: string;
  device: string;
  broker: Broker;
  daemon: RunningDaemon;
  /** fetch() against the daemon; `token: null` sends no Authorization header, a string sends that one. */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  stop(): Promise<void>;
}

export interface HttpDaemonOptions {
  /** Camera URI (default: the shared clip, looping). */
  camera?: string;
  device?: string;
  /** Extra GLOVES_* environment. */
  env?: NodeJS.ProcessEnv;
  gallery?: string;
  broker?: Broker;
  /** State directory (default: a fresh one in the temp dir). */
  stateDir?: string;
}

export async function startHttpDaemon(opts: HttpDaemonOptions = {}): Promise<HttpDaemon> {
  requireFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'gloves-http-'));
  const broker = opts.broker ?? (await startMosquitto());
  const gallery = opts.gallery ?? join(dir, 'gallery');
  const device = opts.device ?? 'httptest';
  const port = await freePort();
  const daemon = startDaemon(
    [
      '--camera',
      opts.camera ?? `file://${catClip}`,
      '--mqtt',
      broker.url,
      '--gallery',
      gallery,
      '--device-id',
      device,
      '--http',
      `127.0.0.1:${port}`,
    ],
    {
      GLOVES_HTTP__TOKEN: TOKEN,
      GLOVES_DEVICE__STATE_DIR: opts.stateDir ?? join(dir, 'state'),
      GLOVES_CAMERA__LOOP: 'true',
      GLOVES_LOG__LEVEL: 'debug',
      ...opts.env,
    },
  );
  await daemon.waitForLine(/INFO gloves: ready/, 120_000);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dir,
    gallery,
    device,
    broker,
    daemon,
    api(path, init = {}) {
      const { token = TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return fetch(url + path, { ...rest, headers });
    },
    async stop() {
      daemon.child.kill('SIGTERM');
      await daemon.exited();
      if (!opts.broker) await broker.stop();
    },
  };
}

/** The JSON error body's code, asserting the status too. */
export async function errorCode(res: Response, status: number): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${JSON.stringify(body)}`);
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string')
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error.code;
}

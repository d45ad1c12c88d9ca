/**
 * `gloves models activate|rollback` with no daemon running records the choice for the next start. A token
 * file that cannot be read must not block that (it is only needed to talk to a running daemon).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../helpers/paths.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('no daemon and an unreadable http.tokenFile: the choice is still recorded for the next start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-models-offline-'));
  const env = {
    ...process.env,
    GLOVES_DEVICE__STATE_DIR: join(dir, 'state'),
    GLOVES_HTTP__LISTEN: `127.0.0.1:${await closedPort()}`,
    GLOVES_HTTP__TOKEN_FILE: join(dir, 'missing-token'),
  };
  const r = spawnSync(process.execPath, [cliPath, 'models', 'rollback'], { encoding: 'utf8', env, timeout: 60_000 });
  // Nothing to roll back to is the offline path's own answer (not HTTP_NO_TOKEN about the token file).
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /MODEL_NO_PREVIOUS/);
  assert.not.match(r.stderr, /HTTP_NO_TOKEN/);
  const a = spawnSync(process.execPath, [cliPath, 'models', 'activate', 'builtin'], { encoding: 'utf8', env, timeout: 60_000 });
  assert.is(a.status, 0, a.stdout + a.stderr);
  assert.match(a.stdout, /already active/);
});

test.run();

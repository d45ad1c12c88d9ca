/**
 * The API's transport and limits against a running daemon: HTTPS with a certificate from http.tls, the bearer token from
 * http.tokenFile, and the rate limit on identify (429 with Retry-After). And the refusals to start, each naming the file:
 * a token file that is missing or holds too short a token, a TLS key that cannot be read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startMosquitto, type Broker } from '../helpers/mosquitto.js';
import { catsDir } from '../helpers/paths.js';
import { startDaemon } from '../daemon/support/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'gloves-https-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const tokenFile = join(dir, 'token');
const TOKEN = 'file-token-abcdefghijklmnop';
let broker: Broker;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
/** One HTTPS request that trusts only our certificate. */
function httpsCall(
  port: number,
  path: string,
  opts: { method?: string; token?: string; body?: Buffer; type?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.type) headers['content-type'] = opts.type;
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', ca: readFileSync(cert), headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test.before(async () => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=gloves-test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' }); // prettier-ignore
  writeFileSync(tokenFile, `${TOKEN}\n`);
  broker = await startMosquitto();
});
test.after(async () => {
  await broker?.stop();
});

const args = (port: number, device: string): string[] => [
  '--camera', 'test://ball', '--mqtt', broker.url, '--gallery', join(dir, 'gallery'), '--device-id', device, '--http', `127.0.0.1:${port}`,
]; // prettier-ignore

test('HTTPS from http.tls, the token from http.tokenFile, identify rate-limited with 429 and Retry-After', async () => {
  const port = await freePort();
  const d = startDaemon(args(port, 'tls'), {
    GLOVES_HTTP__TOKEN_FILE: tokenFile,
    GLOVES_HTTP__TLS__CERT: cert,
    GLOVES_HTTP__TLS__KEY: key,
    GLOVES_HTTP__RATE_LIMIT_PER_MINUTE: '3',
    GLOVES_DEVICE__STATE_DIR: join(dir, 'state-tls'),
  });
  try {
    await d.waitForLine(/INFO gloves: ready/, 120_000);
    assert.match(d.output(), new RegExp(`http listening \\{"url":"https://127\\.0\\.0\\.1:${port}"`));
    assert.is((await httpsCall(port, '/healthz')).status, 200);
    // Plain HTTP to the TLS port gets no API answer.
    const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.is.not(plain, 200);
    const photo = readFileSync(join(catsDir, 'birba', '01.jpg'));
    const identify = (token: string): Promise<Reply> =>
      httpsCall(port, '/v1/identify', { method: 'POST', token, body: photo, type: 'image/jpeg' });
    const wrong = await identify('not-the-file-token-xxxxxx');
    assert.is(wrong.status, 401);
    // The refused call above counts against the limit too (the limit is per client, before auth reads the body).
    const codes: number[] = [wrong.status];
    let last: Reply = wrong;
    for (let i = 0; i < 4 && last.status !== 429; i++) {
      last = await identify(TOKEN);
      codes.push(last.status);
    }
    assert.ok(codes.includes(200), `an identify with the file's token passed: ${codes.join(',')}`);
    assert.is(last.status, 429, `statuses: ${codes.join(',')}`);
    assert.is((JSON.parse(last.body) as { error: { code: string } }).error.code, 'HTTP_RATE_LIMITED');
    assert.ok(Number(last.headers['retry-after']) > 0, JSON.stringify(last.headers));
    // Reads are not rate-limited.
    assert.is((await httpsCall(port, '/v1/pets', { token: TOKEN })).status, 200);
  } finally {
    d.child.kill('SIGTERM');
    await d.exited();
  }
});

async function refusal(env: NodeJS.ProcessEnv, device: string): Promise<string> {
  const d = startDaemon(args(await freePort(), device), { GLOVES_DEVICE__STATE_DIR: join(dir, `state-${device}`), ...env });
  const exit = await d.exited();
  assert.is(exit.code, 1, d.output());
  return d.output();
}

test('refusals to start name the file: a missing token file, a too-short token, an unreadable TLS key', async () => {
  const missing = join(dir, 'no-such-token');
  let out = await refusal({ GLOVES_HTTP__TOKEN_FILE: missing }, 'nofile');
  assert.match(out, /HTTP_NO_TOKEN/);
  assert.ok(out.includes(`cannot read http.tokenFile ${missing}: ENOENT`), out);
  const short = join(dir, 'short-token');
  writeFileSync(short, 'qzq\n');
  out = await refusal({ GLOVES_HTTP__TOKEN_FILE: short }, 'short');
  assert.ok(out.includes(`http.tokenFile ${short} must hold a token of at least 16 characters`), out);
  assert.not.match(out, /qzq/, 'the short token is not echoed');
  out = await refusal({ GLOVES_HTTP__TOKEN: TOKEN, GLOVES_HTTP__TLS__CERT: cert, GLOVES_HTTP__TLS__KEY: join(dir, 'nokey.pem') }, 'nokey');
  assert.match(out, /HTTP_TLS_FILE/);
  assert.ok(out.includes(`cannot read http.tls.key ${join(dir, 'nokey.pem')}: ENOENT`), out);
});

test.run();

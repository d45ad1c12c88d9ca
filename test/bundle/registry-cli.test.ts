/**
 * `gloves-trainer publish` and `pull` as the ML engineer runs them: separate processes, auth from the MLFLOW_TRACKING_*
 * variables, against the loopback MLflow-protocol server. Publish then pull back by alias is byte-identical; the
 * errors exit 1 with their code and name the model or alias; a missing selector is a usage error (exit 2).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockMlflow } from '../helpers/mlflow.js';
import { makeBundle, makeKey } from '../helpers/bundles.js';
import { repoRoot, requireFixtures } from '../helpers/paths.js';

requireFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'gloves-registry-cli-'));
const trainer = join(repoRoot, 'dist', 'calibration', 'src', 'cli', 'main.js');
const key = makeKey(join(tmp, 'key'));
const bundle = join(tmp, 'bundle');
let server: MockMlflow;

/** The trainer as a child process (async: the registry it talks to runs in this process). */
function trainerRun(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [trainer, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile()) out[join(f.parentPath, f.name).slice(dir.length + 1)] = readFileSync(join(f.parentPath, f.name)).toString('base64');
  return out;
}

test.before(async () => {
  await makeBundle(bundle, key);
  server = new MockMlflow({ pageSize: 2, auth: { username: 'ml', password: 'secret' } });
  await server.start();
});
test.after(async () => {
  await server?.stop();
});

const auth = (): NodeJS.ProcessEnv => ({
  MLFLOW_TRACKING_URI: server.url,
  MLFLOW_TRACKING_USERNAME: 'ml',
  MLFLOW_TRACKING_PASSWORD: 'secret',
});

test('publish, then pull back by alias: exit 0, the same bytes', async () => {
  const pub = await trainerRun(['publish', '--model', 'cats', '--bundle', bundle, '--alias', 'fleet'], auth());
  assert.is(pub.code, 0, pub.out);
  const out = join(tmp, 'pulled');
  const pull = await trainerRun(['pull', '--model', 'cats', '--alias', 'fleet', '--out', out], auth());
  assert.is(pull.code, 0, pull.out);
  assert.equal(tree(out), tree(bundle));
});

test('errors exit 1 with their code: unknown model, unknown alias, wrong password; no selector is a usage error', async () => {
  const out = (n: string): string => join(tmp, n);
  let r = await trainerRun(['pull', '--model', 'nope', '--alias', 'fleet', '--out', out('a')], auth());
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /nope/);
  r = await trainerRun(['pull', '--model', 'cats', '--alias', 'gone', '--out', out('b')], auth());
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /gone/);
  r = await trainerRun(['pull', '--model', 'cats', '--alias', 'fleet', '--out', out('c')], {
    ...auth(),
    MLFLOW_TRACKING_PASSWORD: 'wrong',
  });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /401/);
  assert.not.match(r.out, /wrong/, 'the password is not echoed');
  r = await trainerRun(['pull', '--model', 'cats', '--out', out('d')], auth());
  assert.is(r.code, 2, r.out);
});

test.run();

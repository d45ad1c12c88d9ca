#!/usr/bin/env node
// Runs every test/**/*.test.ts file in its own Node process (a hung native
// pipeline or a crash then costs one file, not the run), sums uvu's per-file
// counts, and ends with the plain line `N passed, N failed`. Exit code is
// non-zero on any failure, crash or timeout.
//
// usage: node scripts/run-tests.mjs [substring ...]   (GLOVES_TEST_TIMEOUT seconds per file, default 600)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const timeoutS = Number(process.env.GLOVES_TEST_TIMEOUT ?? 600);

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const files = walk(join(root, 'test'))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)));

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d) => {
      out += d;
      process.stdout.write(d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const num = (label) => {
        const m = out.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : 0;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      // uvu's Total excludes skipped tests.
      let failed = total - passed;
      const ok = code === 0 && !timedOut && total > 0;
      if (!ok && failed <= 0) failed = 1;
      resolve({ file, passed, failed, skipped, code, signal, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = [];
// Build, type-check, lint and format check first (the CLI tests spawn dist/), counted like test files so a
// compile error or a lint finding still ends in the `N passed, N failed` line. Skipped with a filter.
// The format check is skipped, and not counted, while `.format-pending` exists at the root: the tree has not had
// its one-shot reformat yet (delete the marker in the reformat commit).
if (filters.length === 0 || process.env.GLOVES_TEST_BUILD === '1') {
  const bin = (...p) => join(root, 'node_modules', ...p);
  const steps = [
    ['build (tsc -p tsconfig.json)', [bin('typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']],
    ['typecheck tests (tsc -p tsconfig.test.json)', [bin('typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json', '--noEmit']],
    ['build the web page (web/ -> dist/web)', [join(root, 'scripts', 'build-web.mjs')]],
    ['typecheck the web page (tsc -p tsconfig.web.json)', [bin('typescript', 'bin', 'tsc'), '-p', 'tsconfig.web.json']],
    ['lint (eslint .)', [bin('eslint', 'bin', 'eslint.js'), '.']],
  ];
  if (existsSync(join(root, '.format-pending')))
    process.stdout.write('\n### format check (prettier --check .): skipped, .format-pending exists\n');
  else steps.push(['format check (prettier --check .)', [bin('prettier', 'bin', 'prettier.cjs'), '--check', '.']]);
  for (const [name, args] of steps) {
    process.stdout.write(`\n### ${name}\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    process.stdout.write(r.stdout + r.stderr);
    const ok = r.status === 0;
    results.push({
      file: join(root, name),
      passed: ok ? 1 : 0,
      failed: ok ? 0 : 1,
      skipped: 0,
      code: r.status,
      signal: null,
      timedOut: false,
      seconds: (Date.now() - started) / 1000,
    });
  }
}
for (const f of files) {
  process.stdout.write(`\n### ${relative(root, f)}\n`);
  results.push(await runFile(f));
}

process.stdout.write('\n=== per file ===\n');
for (const r of results) {
  const why = r.timedOut ? ` (TIMED OUT after ${timeoutS}s)` : r.code !== 0 ? ` (exit ${r.code ?? r.signal})` : '';
  process.stdout.write(
    `${r.failed ? 'FAIL' : 'ok  '} ${relative(root, r.file)}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${r.seconds.toFixed(1)}s${why}\n`,
  );
}
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0) + (files.length === 0 ? 1 : 0);
const skipped = results.reduce((a, r) => a + r.skipped, 0);
if (skipped > 0) process.stdout.write(`${skipped} skipped (named in the per-file lines above)\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);

#!/usr/bin/env node
// The quick-start demo. Runs whatever parts of the product exist, against the
// shared fixtures, and says plainly what it did.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const cli = new URL('../dist/daemon/src/cli/main.js', import.meta.url).pathname;
const fixtures = new URL('../.fixtures/', import.meta.url).pathname;
function gloves(...args) {
  process.stdout.write(`\n$ gloves ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`demo step failed: gloves ${args.join(' ')} (exit ${r.status})\n`);
    process.exit(1);
  }
}

gloves('--help');
gloves('models', 'list');
if (!existsSync(fixtures)) process.stderr.write('fixtures are not installed; run scripts/setup.sh\n');

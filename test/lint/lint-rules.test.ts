// The structural lint rules of eslint.config.js reject a new upward import, a new file cycle (type-only included)
// and a new folder cycle, and their temporary exceptions allow one import each, nothing more. Each case lints a
// small snippet under a path of the real tree with ESLint's Node API, so nothing is written to disk; cases that
// need an existing import pick one from the tree as it is, so they survive files being moved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { repoRoot } from '../helpers/paths.js';

const root = repoRoot;
const eslint = new ESLint({ cwd: root, overrideConfigFile: join(root, 'eslint.config.js') });

interface Violation {
  kind: 'layer' | 'cycle';
  from: string;
  to: string;
}

async function ruleIds(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(root, filePath) });
  assert.ok(result, `no lint result for ${filePath}`);
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports (`./x.js` → repo path of x.ts) of a file on disk. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)\.js'/g)]
    .map((m) =>
      relative(root, join(root, dirname(file), `${m[1]}.ts`))
        .split('\\')
        .join('/'),
    )
    .filter((p) => existsSync(join(root, p)));
}

function specifier(fromFile: string, toFile: string): string {
  const r = relative(dirname(fromFile), toFile).split('\\').join('/').replace(/\.ts$/, '.js');
  return r.startsWith('.') ? r : `./${r}`;
}

test('a downward import passes', async () => {
  assert.equal(
    await ruleIds('daemon/src/cli/lint-fixture.ts', "import { GlovesError } from '../errors.js';\nexport const e = GlovesError;\n"),
    [],
  );
});

test('an upward import is rejected, type-only too', async () => {
  const up = "import { runDaemon } from '../runtime/daemon.js';\nexport const r = runDaemon;\n";
  assert.ok((await ruleIds('daemon/src/util/lint-fixture.ts', up)).includes('import-x/no-restricted-paths'));
  const upType2 = "import type { Command } from '../cli/command.js';\nexport type C = Command;\n";
  assert.ok((await ruleIds('daemon/src/log/lint-fixture.ts', upType2)).includes('import-x/no-restricted-paths'));
});

test('a sideways import on the same floor is rejected', async () => {
  const text = "import type { FrameSource } from '../camera/types.js';\nexport type F = FrameSource;\n";
  assert.ok((await ruleIds('daemon/src/native/lint-fixture.ts', text)).includes('import-x/no-restricted-paths'));
});

test('the daemon does not import calibration/ or test/', async () => {
  const text = "import '../../../calibration/src/errors.js';\nimport '../../../test/helpers/paths.js';\n";
  const ids = await ruleIds('daemon/src/cli/lint-fixture.ts', text);
  assert.is(ids.filter((id) => id === 'import-x/no-restricted-paths').length, 2, ids.join(', '));
});

test('a folder of daemon/src without a floor is rejected', async () => {
  assert.ok((await ruleIds('daemon/src/newfolder/lint-fixture.ts', 'export const x = 1;\n')).includes('gloves/known-floor'));
});

// A file A that imports B of the same folder: B importing A back closes a file cycle.
function sameFolderPair(): [string, string] {
  for (const a of tsFiles('daemon/src')) {
    const b = importsOf(a).find((t) => dirname(t) === dirname(a) && t !== a);
    if (b) return [a, b];
  }
  throw new Error('no same-folder import found in daemon/src');
}

test('a new file cycle is rejected, type-only too', async () => {
  const [a, b] = sameFolderPair();
  const text = readFileSync(join(root, b), 'utf8');
  assert.not.ok((await ruleIds(b, text)).includes('gloves/no-cycle'), `${b} as it is has no cycle`);
  assert.ok((await ruleIds(b, `${text}\nimport '${specifier(b, a)}';\n`)).includes('gloves/no-cycle'), `${b} -> ${a}`);
  assert.ok(
    (await ruleIds(b, `${text}\nimport type * as Back from '${specifier(b, a)}';\nexport type T = typeof Back;\n`)).includes(
      'gloves/no-cycle',
    ),
  );
});

test('a new folder cycle in calibration/src is rejected', async () => {
  // calibration/src/X/a.ts imports calibration/src/Y/b.ts: a new file in Y importing a file in X closes a folder cycle.
  for (const a of tsFiles('calibration/src')) {
    const [, , x, ...restA] = a.split('/');
    if (restA.length === 0) continue;
    const b = importsOf(a).find((t) => {
      const [, , y, ...restB] = t.split('/');
      return t.startsWith('calibration/src/') && restB.length > 0 && y !== x;
    });
    if (!b) continue;
    const fixture = `${dirname(b)}/lint-fixture.ts`;
    const ids = await ruleIds(fixture, `import '${specifier(fixture, a)}';\n`);
    assert.ok(ids.includes('gloves/no-cycle'), `${fixture} -> ${a}: ${ids.join(', ')}`);
    return;
  }
  throw new Error('no import between two folders of calibration/src');
});

test('each temporary exception allows its one import and no other', async () => {
  const cfg = (await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as { KNOWN_VIOLATIONS: Violation[] };
  let checked = 0;
  for (const v of cfg.KNOWN_VIOLATIONS.filter((e) => e.kind === 'layer' && existsSync(join(root, e.from)))) {
    const other = tsFiles(dirname(v.to)).find((f) => f !== v.to);
    if (!other) continue;
    const text = readFileSync(join(root, v.from), 'utf8');
    const ids = await ruleIds(v.from, `${text}\nimport '${specifier(v.from, other)}';\n`);
    assert.is(ids.filter((id) => id === 'import-x/no-restricted-paths').length, 1, `${v.from} -> ${other}: ${ids.join(', ')}`);
    checked++;
  }
  for (const v of cfg.KNOWN_VIOLATIONS) {
    assert.ok(v.from.startsWith('daemon/src/') && v.to.startsWith('daemon/src/'), `${v.from} -> ${v.to}`);
  }
  if (checked === 0) console.log('  (no known upward import left in the tree: the exception table can go)');
});

test.run();

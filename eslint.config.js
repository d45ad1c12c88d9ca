// ESLint flat config. `npm run lint`; `npm test` runs it as a counted step.
//
// Kept light (about 15-20 s for the tree on two cores): recommended rules, no type-checked rules. The rules that matter
// most here are structural:
//   - the layering of daemon/src (import-x/no-restricted-paths, built from FLOORS below),
//   - no import cycle between files or between top-level folders, type imports included (gloves/no-cycle,
//     scripts/eslint-rules.mjs; import-x/no-cycle skips type-only imports, so it is not used).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import gloves from './scripts/eslint-rules.mjs';

const rootDir = dirname(fileURLToPath(import.meta.url));

// The layering of daemon/src, read from its imports, ground floor first. A folder imports only folders on a
// lower floor: never one above it, nor one beside it on the same floor. A new folder must be given a floor here
// (gloves/known-floor fails until it is). calibration/ sits above the whole daemon and imports it through public
// entries (recognition/index.ts, evaluation/index.ts, cli/index.ts) and leaf modules; the daemon never imports
// calibration/, test/ or bench/.
export const FLOORS = [
  ['errors.ts', 'util', 'log'],
  ['models', 'systemd'],
  ['vision'],
  ['native', 'camera'],
  ['kernels', 'inference'],
  ['recognition', 'native-mock', 'motion'],
  ['presence', 'tracking'],
  ['evaluation', 'events'],
  ['mqtt', 'http'],
  ['config'],
  ['runtime', 'ops'],
  ['cli'],
];

// Exceptions, one per known violation: each entry would allow exactly one import (file -> file) and nothing else.
// There are none: do not add one, fix the structure instead.
//   layer: an import that runs up (or sideways) across FLOORS;  cycle: an import that closes a file cycle.
export const KNOWN_VIOLATIONS = [];

const SRC = 'daemon/src';
const entryPath = (name) => `${SRC}/${name}`;

/** Zones for import-x/no-restricted-paths: one per (lower, same-or-higher) pair, with the allowed exceptions. */
function layeringZones(exceptions = []) {
  const zones = [];
  FLOORS.forEach((floor, i) => {
    for (const target of floor) {
      for (const [j, higher] of FLOORS.entries()) {
        if (j < i) continue;
        for (const from of higher) {
          if (from === target) continue;
          const except = exceptions
            .filter((e) => e.from.startsWith(`${entryPath(target)}/`) || e.from === entryPath(target))
            .filter((e) => e.to.startsWith(`${entryPath(from)}/`))
            .map((e) => `./${e.to.slice(entryPath(from).length + 1)}`);
          zones.push({
            target: entryPath(target),
            from: entryPath(from),
            ...(except.length > 0 ? { except } : {}),
            message: `Layering: ${entryPath(target)} (floor ${i}) may not import ${entryPath(from)} (floor ${j}); see FLOORS in eslint.config.js.`,
          });
        }
      }
    }
  });
  zones.push({
    target: SRC,
    from: ['calibration', 'test', 'bench', 'scripts'],
    message: 'The daemon imports neither calibration/ nor test/, bench/ or scripts/.',
  });
  zones.push({
    target: 'calibration',
    from: ['test', 'bench', 'scripts'],
    message: 'calibration/ imports neither test/, bench/ nor scripts/.',
  });
  return zones;
}

const restrictedPaths = (exceptions) => ['error', { basePath: rootDir, zones: layeringZones(exceptions) }];
const layerExceptions = KNOWN_VIOLATIONS.filter((v) => v.kind === 'layer');

export default defineConfig(
  {
    ignores: ['dist/', 'build/', 'node_modules/', '.fixtures/', '.models/', '.data/', 'tmp/', 'native/build/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX, gloves },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${rootDir}/tsconfig.test.json`, alwaysTryTypes: false })],
    },
    rules: {
      'import-x/no-restricted-paths': restrictedPaths([]),
      'gloves/no-cycle': [
        'error',
        {
          rootDir,
          sourceRoots: ['daemon/src', 'calibration/src'],
          // A known upward import also closes a folder cycle, so every known violation is allowed here.
          allow: KNOWN_VIOLATIONS.map(({ from, to, why }) => ({ from, to, why })),
        },
      ],
      'gloves/known-floor': ['error', { rootDir, sourceRoot: SRC, known: FLOORS.flat() }],
      'import-x/no-self-import': 'error',
      // `_name` marks a deliberately unused binding (e.g. `const { will: _will, ...rest } = opts`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // `cond ? a++ : b++` as a statement is a style this code uses.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Code and comments wrap at 140 (Prettier's printWidth); long string literals and regexes may run on.
      'max-lines': ['error', { max: 400 }],
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // Tests reach into untyped JSON and private fields.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The device page runs in the browser.
    files: ['web/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // A pet id is checked for control characters on purpose.
    files: ['daemon/src/recognition/gallery/pet-id.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  // A file with a known upward import (none today) gets the same zones with that one import excepted.
  ...layerExceptions.map((v) => ({
    files: [v.from],
    rules: { 'import-x/no-restricted-paths': restrictedPaths([v]) },
  })),
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

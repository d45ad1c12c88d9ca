/**
 * Error codes are data: every code the addon's C++ names (native/src/codes.h)
 * is in the TypeScript table (ERROR_CODES), no code belongs to two modules,
 * codes are SCREAMING_SNAKE, and the addon's slot-field count matches the
 * TypeScript side. (TypeScript itself rejects any code literal outside the table.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, GlovesError, isErrorCode } from '../../daemon/src/errors.js';
import { SLOT_FIELDS } from '../../daemon/src/native/addon.js';
import { repoRoot } from '../helpers/paths.js';

const nativeDir = join(repoRoot, 'native', 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(cc|h)$/.test(f) ? [p] : [];
  });
}

test('every code the C++ names is in ERROR_CODES, and no C++ file spells a code as a bare literal', () => {
  const header = readFileSync(join(nativeDir, 'codes.h'), 'utf8');
  const named = [...header.matchAll(/\[\] = "([A-Z0-9_]+)";/g)].map((m) => m[1]!);
  assert.ok(named.length >= 10, `codes.h names ${named.length} codes`);
  for (const c of named) assert.ok(isErrorCode(c), `native code ${c} is missing from ERROR_CODES`);
  for (const file of walk(nativeDir)) {
    if (file.endsWith('codes.h')) continue;
    const bare = [...readFileSync(file, 'utf8').matchAll(/"([A-Z][A-Z0-9_]{3,})"/g)].map((m) => m[1]!);
    assert.equal(bare, [], `${file} spells codes as literals; use gloves::codes`);
  }
});

test('codes are unique across modules and SCREAMING_SNAKE', () => {
  const seen = new Map<string, string>();
  for (const [mod, codes] of Object.entries(ERROR_CODES)) {
    for (const c of codes) {
      assert.match(c, /^[A-Z][A-Z0-9_]*$/);
      assert.not.ok(seen.has(c), `${c} is listed by ${seen.get(c)} and ${mod}`);
      seen.set(c, mod);
    }
  }
});

test('GlovesError.from keeps typed errors and wraps anything else as INTERNAL', () => {
  const typed = new GlovesError('SOURCE_FAILED', 'x');
  assert.is(GlovesError.from(typed), typed);
  const wrapped = GlovesError.from(new Error('boom'));
  assert.is(wrapped.code, 'INTERNAL');
  assert.is(wrapped.message, 'boom');
  assert.is(GlovesError.from('text', 'PIPELINE_FAILED').code, 'PIPELINE_FAILED');
  assert.not.ok(isErrorCode('NOT_A_CODE'));
});

test("the addon's slot-field count matches the TypeScript side", () => {
  const src = readFileSync(join(nativeDir, 'kernels_napi.cc'), 'utf8');
  const m = /constexpr int kSlotFields = (\d+);/.exec(src);
  assert.ok(m, 'kSlotFields not found in kernels_napi.cc');
  assert.is(Number(m![1]), SLOT_FIELDS);
});

test.run();

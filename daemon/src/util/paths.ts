/** Locations relative to the installed package, independent of the working directory. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest ancestor of this file holding package.json (works from src/ and dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('gloves: cannot locate the package root');
    dir = up;
  }
}

/**
 * The data mirror: GLOVES_DATA_MIRROR (a directory holding `models/` and `fixtures/`),
 * else GLOVES_MODEL_MIRROR (the older name, pointing at the `models/` directory itself),
 * else `../shared` beside the checkout when it exists.
 */
export function defaultMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GLOVES_DATA_MIRROR) return resolve(env.GLOVES_DATA_MIRROR);
  if (env.GLOVES_MODEL_MIRROR) return resolve(env.GLOVES_MODEL_MIRROR, '..');
  const beside = resolve(packageRoot(), '..', 'shared');
  return existsSync(beside) ? beside : undefined;
}

/** Where `gloves models install` puts test/demo fixtures. */
export function fixturesDir(): string {
  return join(packageRoot(), '.fixtures');
}

/** The package's version (package.json), for `--version`. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

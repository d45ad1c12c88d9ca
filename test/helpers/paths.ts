/** Paths the tests share. Fixtures are installed (sha256-verified) by `gloves models install`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fixtures = join(repoRoot, '.fixtures');
export const modelsDir = join(repoRoot, '.models');
export const manifestsDir = join(repoRoot, 'models');
export const catsDir = join(fixtures, 'cats');
export const catClip = join(fixtures, 'video', 'cat_chair_640x338.mp4');
export const cliPath = join(repoRoot, 'dist', 'daemon', 'src', 'cli', 'main.js');

/** Fail loudly (not skip) when setup has not installed the fixtures. */
export function requireFixtures(): void {
  if (!existsSync(join(fixtures, 'cats')) || !existsSync(join(modelsDir, 'yolox_nano_416_coco.onnx'))) {
    throw new Error('fixtures/models are not installed: run `npm run build && node dist/daemon/src/cli/main.js models install`');
  }
}

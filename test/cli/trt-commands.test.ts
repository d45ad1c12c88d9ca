/**
 * `gloves models build-engines` and the per-model backend lines of `gloves config check`,
 * in-process over the mock TensorRT addon (and without it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../../daemon/src/cli/command.js';
import { configCommand } from '../../daemon/src/cli/commands/config.js';
import { modelsCommand } from '../../daemon/src/cli/commands/models.js';
import { GlovesError } from '../../daemon/src/errors.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { setNativeAddonOverride } from '../../daemon/src/native/addon.js';
import { createMockAddon } from '../../daemon/src/native-mock/mock-addon.js';
import { requireFixtures } from '../helpers/paths.js';

requireFixtures();

function ctx(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const c: CommandContext = {
    argv,
    env: { PATH: process.env.PATH, ...env },
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    log: silentLogger(),
  };
  return { c, out, err };
}

test.after(() => setNativeAddonOverride(undefined));

test('build-engines: builds the TensorRT models with progress, lists the onnxruntime ones, then finds them cached', async () => {
  const addon = createMockAddon({ buildDelayMs: 50 });
  setNativeAddonOverride(addon);
  const engines = mkdtempSync(join(tmpdir(), 'gloves-build-engines-'));
  const env = { GLOVES_INFERENCE__ENGINE_CACHE_DIR: engines };
  const first = ctx(['build-engines'], env);
  assert.is(await modelsCommand.run(first.c), 0);
  assert.match(first.out.join('\n'), /detector yolox_nano_416_coco: tensorrt \(float model/);
  assert.match(first.out.join('\n'), /embedder mobilenetv2-12-int8_pooled: onnxruntime \(QOperator int8 model/);
  assert.match(first.out.join('\n'), /yolox_nano_416_coco: TensorRT engine built in /);
  assert.match(first.err.join('\n'), /yolox_nano_416_coco: building 0:00/);
  // The mock's build is instant, but a loaded machine can take a second to get there.
  assert.match(first.err.join('\n'), /yolox_nano_416_coco: built in 0:0\d/);
  assert.is(addon.builds.length, 1);
  assert.is(readdirSync(engines).filter((f) => f.endsWith('.engine')).length, 1);
  const again = ctx(['build-engines'], env);
  assert.is(await modelsCommand.run(again.c), 0);
  assert.match(again.out.join('\n'), /yolox_nano_416_coco: TensorRT engine already cached/);
  assert.is(addon.builds.length, 1);
});

test('build-engines without TensorRT builds nothing and exits 0; config check says onnxruntime and why', async () => {
  setNativeAddonOverride(null);
  const r = ctx(['build-engines'], {});
  assert.is(await modelsCommand.run(r.c), 0);
  assert.match(r.out.join('\n'), /nothing to build/);
  const c = ctx(['check'], {});
  assert.is(await configCommand.run(c.c), 0);
  assert.match(c.out.join('\n'), /detector yolox_nano_416_coco: onnxruntime \(the native addon is not built\)/);
});

test('config check with inference.backend tensorrt and the QOperator embedder is TRT_UNSUPPORTED_MODEL', async () => {
  setNativeAddonOverride(createMockAddon());
  const ok = ctx(['check'], {});
  assert.is(await configCommand.run(ok.c), 0);
  assert.match(ok.out.join('\n'), /embedder mobilenetv2-12-int8_pooled: onnxruntime \(QOperator/);
  const strict = ctx(['check'], { GLOVES_INFERENCE__BACKEND: 'tensorrt' });
  const err = await configCommand.run(strict.c).catch((e: unknown) => e);
  assert.instance(err, GlovesError);
  assert.is((err as GlovesError).code, 'TRT_UNSUPPORTED_MODEL');
});

test.run();

/** Signed bundles for the tests: keys in a temp dir, bundles built by the trainer's own code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { buildBundle, type BuildBundleOptions } from '../../calibration/src/bundle/build.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, generateSigningKey } from '../../daemon/src/models/bundle-sign.js';
import { catsDir, manifestsDir } from './paths.js';

export const yoloxManifest = join(manifestsDir, 'yolox_nano_416_coco.json');
export const embedderManifest = join(manifestsDir, 'mobilenetv2-12-int8_pooled.json');
/** A shared cat photo as the reference frame. */
export const referenceFrame = join(catsDir, 'appy', '01.jpg');

export interface TestKey {
  dir: string;
  privatePath: string;
  publicPath: string;
  publicPem: string;
  id: string;
  key: KeyObject;
}

export function makeKey(dir: string): TestKey {
  mkdirSync(dir, { recursive: true });
  const k = generateSigningKey();
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  writeFileSync(privatePath, k.privatePem, { mode: 0o600 });
  writeFileSync(publicPath, k.publicPem);
  return { dir, privatePath, publicPath, publicPem: k.publicPem, id: k.id, key: createPrivateKey(k.privatePem) };
}

export function makeBundle(out: string, key: TestKey | undefined, opts: Partial<BuildBundleOptions> = {}) {
  return buildBundle({ models: [embedderManifest], reference: referenceFrame, out, key: key?.key, ...opts });
}

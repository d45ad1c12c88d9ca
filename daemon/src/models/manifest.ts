/**
 * Model manifests (models/*.json): one per model, the only place that says how
 * to feed a model and what comes out. Pre/post-processing code reads these
 * fields; nothing about a specific model is hard-coded elsewhere.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors.js';
import { formatIssues } from '../util/zod-issues.js';

const dim = z.union([z.number().int().positive(), z.string().min(1)]);
const tensor = z.strictObject({ name: z.string().min(1), shape: z.array(dim).min(1), type: z.enum(['float32', 'float16', 'int8', 'uint8']) });

export const preprocessSchema = z.strictObject({
  colorOrder: z.enum(['RGB', 'BGR']),
  /** Multiplied into the 0..255 pixel value before mean/std. */
  scale: z.number().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  resize: z.enum(['letterbox', 'stretch']),
  letterboxAlign: z.enum(['top-left', 'center']).default('top-left'),
  /** Pad value in 0..255 pixel units, before scale/mean/std. */
  padValue: z.number().min(0).max(255),
  layout: z.literal('NCHW'),
});

export const manifestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  version: z.string().min(1),
  task: z.enum(['detector', 'embedder']),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().positive(),
  source: z.strictObject({
    url: z.string().url().nullable(),
    repo: z.string().optional(),
    commit: z.string().optional(),
    path: z.string().optional(),
    derivedFrom: z
      .strictObject({
        url: z.string().url(),
        repo: z.string(),
        commit: z.string(),
        path: z.string(),
        /** Base file name in the mirror's models/ directory. */
        file: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        recipe: z.strictObject({
          kind: z.literal('expose-dequantized'),
          tensor: z.string(),
          scale: z.string(),
          zeroPoint: z.string(),
          output: z.string(),
          nodeName: z.string(),
        }),
        /** sha256 of models/derive.ts's output (differs from `sha256`, the mirror copy). */
        resultSha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .optional(),
  }),
  license: z.string().min(1),
  inputs: z.array(tensor).min(1),
  outputs: z.array(tensor).min(1),
  preprocess: preprocessSchema,
  postprocess: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('yolox'), strides: z.array(z.number().int().positive()).min(1) }),
    z.strictObject({ kind: z.literal('embedding'), normalize: z.enum(['l2', 'none']) }),
  ]),
  labels: z.array(z.string()),
});

export type ModelManifest = z.output<typeof manifestSchema>;
export type PreprocessSpec = z.output<typeof preprocessSchema>;

/** Pure: validate a parsed manifest object; throws ModelError(MANIFEST_INVALID) listing every problem. */
export function parseManifest(obj: unknown, source: string): ModelManifest {
  const res = manifestSchema.safeParse(obj);
  if (!res.success) {
    const problems = formatIssues(res.error.issues);
    throw new ModelError('MANIFEST_INVALID', `invalid model manifest ${source}:\n  ${problems.join('\n  ')}`, { source, problems });
  }
  return res.data;
}

export function readManifest(file: string): ModelManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelError('MANIFEST_NOT_FOUND', `cannot read model manifest ${file}`, { file }, { cause: err });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ModelError('MANIFEST_INVALID', `model manifest ${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
  return parseManifest(obj, file);
}

/** All model manifests in a directory (fixtures.json is not a model manifest). */
export function listManifests(dir: string): ModelManifest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'fixtures.json')
    .sort()
    .map((f) => readManifest(join(dir, f)));
}

/** Find a manifest by name in a directory; a name may also be a path to a .json file. */
export function findManifest(dir: string, nameOrPath: string): ModelManifest {
  if (nameOrPath.endsWith('.json')) return readManifest(nameOrPath);
  return readManifest(join(dir, `${nameOrPath}.json`));
}

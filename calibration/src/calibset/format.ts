/**
 * On-disk calibration set: `<dir>/calibration-set.json` plus one raw
 * little-endian float32 file per sample (`samples/NNNN.f32`, the exact model
 * input the runtime's pre-processing produced, shape `input.dims`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { preprocessSchema } from '../../../daemon/src/models/manifest.js';
import { formatIssues } from '../../../daemon/src/util/zod-issues.js';
import { TrainerError } from '../errors.js';

export const CALIBRATION_SET_FORMAT = 'gloves-calibration-set/1';
export const CALIBRATION_SET_FILE = 'calibration-set.json';

const sampleSchema = z.strictObject({
  file: z.string().min(1),
  source: z.string().min(1),
  /** Pixel region of the source that was fed (whole frame, or an animal crop for embedders). */
  region: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  animal: z.boolean(),
  lighting: z.enum(['day', 'night']),
});

export const calibrationSetSchema = z.strictObject({
  format: z.literal(CALIBRATION_SET_FORMAT),
  model: z.strictObject({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), task: z.enum(['detector', 'embedder']) }),
  input: z.strictObject({ name: z.string(), dims: z.array(z.number().int().positive()) }),
  preprocess: preprocessSchema,
  selection: z.strictObject({ method: z.string(), features: z.string(), seedOrder: z.string() }),
  samples: z.array(sampleSchema).min(1),
  diversity: z.record(z.string(), z.unknown()),
  sourceFrames: z.number().int().positive(),
});

export type CalibrationSet = z.output<typeof calibrationSetSchema>;
export type CalibrationSample = z.output<typeof sampleSchema>;

export function readCalibrationSet(dir: string): CalibrationSet {
  const file = join(dir, CALIBRATION_SET_FILE);
  if (!existsSync(file))
    throw new TrainerError('CALIBRATION_SET_INVALID', `${dir} is not a calibration set (no ${CALIBRATION_SET_FILE})`, { dir });
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TrainerError('CALIBRATION_SET_INVALID', `${file} is not valid JSON`, { file }, { cause: err });
  }
  const res = calibrationSetSchema.safeParse(obj);
  if (!res.success) {
    throw new TrainerError('CALIBRATION_SET_INVALID', `${file}: ${formatIssues(res.error.issues).join('; ')}`, { file });
  }
  return res.data;
}

/** Throws CALIBRATION_MODEL_MISMATCH unless the set was made for the model with this sha256. */
export function assertSetForModel(set: CalibrationSet, model: { name: string; sha256: string }, dir: string): void {
  if (set.model.sha256 !== model.sha256) {
    throw new TrainerError(
      'CALIBRATION_MODEL_MISMATCH',
      `calibration set ${dir} was made for ${set.model.name} (sha256 ${set.model.sha256.slice(0, 12)}), not ${model.name} (sha256 ${model.sha256.slice(0, 12)})`,
      { dir, expected: model.sha256, actual: set.model.sha256 },
    );
  }
}

export function readSample(dir: string, set: CalibrationSet, s: CalibrationSample): Float32Array {
  const buf = readFileSync(join(dir, s.file));
  const n = set.input.dims.reduce((a, b) => a * b, 1);
  if (buf.length !== n * 4)
    throw new TrainerError('CALIBRATION_SET_INVALID', `${s.file} holds ${buf.length} bytes, expected ${n * 4}`, { file: s.file });
  const out = new Float32Array(n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

export function encodeSample(t: Float32Array): Buffer {
  const buf = Buffer.alloc(t.length * 4);
  for (let i = 0; i < t.length; i++) buf.writeFloatLE(t[i]!, i * 4);
  return buf;
}

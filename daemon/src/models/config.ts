/** The `models` config section: which manifests name the detector and the embedder; which bundles a device accepts, and their probation. */
import { z } from 'zod';

/** Model selection and inference backend. */
export const modelsSection = z
  .strictObject({
    manifestDir: z.string().default('models').describe('Directory of model manifests (*.json)'),
    dir: z.string().default('.models').describe('Directory holding the installed model files'),
    detector: z.string().default('yolox_nano_416_coco').describe('Manifest name of the detector'),
    embedder: z.string().default('mobilenetv2-12-int8_pooled').describe('Manifest name of the embedder'),
    trustedKeys: z
      .array(z.string().min(1))
      .default([])
      .describe('ed25519 public keys (PEM files, gloves-trainer keygen) whose signed bundles this device accepts'),
    probationMinutes: z
      .number()
      .min(0)
      .default(10)
      .describe('After a swap, a crash or a stalled frame loop within this many minutes rolls back to the previous version'),
    stallSeconds: z
      .number()
      .min(1)
      .default(15)
      .describe('During probation: no frame processed for this long, while the camera delivers, counts as a stall'),
  })
  .prefault({});

export type ModelsConfig = z.output<typeof modelsSection>;

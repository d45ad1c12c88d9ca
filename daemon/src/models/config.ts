/** The `models` config section: which manifests name the detector and the embedder. */
import { z } from 'zod';

/** Model selection and inference backend. */
export const modelsSection = z
  .strictObject({
    manifestDir: z.string().default('models').describe('Directory of model manifests (*.json)'),
    dir: z.string().default('.models').describe('Directory holding the installed model files'),
    detector: z.string().default('yolox_nano_416_coco').describe('Manifest name of the detector'),
    embedder: z.string().default('mobilenetv2-12-int8_pooled').describe('Manifest name of the embedder'),
  })
  .prefault({});

export type ModelsConfig = z.output<typeof modelsSection>;

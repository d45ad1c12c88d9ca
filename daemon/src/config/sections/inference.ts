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

export const inferenceSection = z
  .strictObject({
    backend: z
      .enum(['auto', 'onnxruntime', 'tensorrt'])
      .default('auto')
      .describe('auto picks TensorRT when the native addon was built with it, else onnxruntime'),
    threads: z.number().int().min(1).max(64).default(2).describe('CPU threads per onnxruntime session'),
    engineCacheDir: z.string().default('.data/engines').describe('Where built TensorRT engines are cached'),
  })
  .prefault({});

export const detectionSection = z
  .strictObject({
    minScore: z.number().min(0).max(1).default(0.3).describe('Minimum detection score (obj * class)'),
    nmsIou: z.number().min(0).max(1).default(0.45).describe('IoU above which NMS suppresses a box'),
    labels: z.array(z.enum(['cat', 'dog'])).min(1).default(['cat', 'dog']).describe('Animal classes to detect'),
    cropMargin: z.number().min(0).max(1).default(0.1).describe('Margin added around a box before embedding'),
  })
  .prefault({});

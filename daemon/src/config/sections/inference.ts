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
      .describe('auto chooses per model: TensorRT for models its parser takes (float, QDQ) when the addon was built with it, onnxruntime otherwise (QOperator int8 models, or no TensorRT)'),
    threads: z.number().int().min(1).max(64).default(2).describe('CPU threads per onnxruntime session'),
    engineCacheDir: z.string().default('.data/engines').describe('Where built TensorRT engines are cached'),
    precision: z.enum(['fp32', 'fp16', 'int8']).default('fp16').describe('TensorRT precision (int8 falls back to fp16 where the GPU or model cannot)'),
    dlaCore: z.number().int().min(0).max(7).nullable().default(null).describe('TensorRT DLA core (GPU fallback on); null = GPU only'),
    maxBatch: z.number().int().min(1).max(64).default(8).describe('Largest embedder batch a TensorRT engine is built for'),
    workspaceMiB: z.number().int().min(16).max(16384).default(256).describe('TensorRT builder workspace (MiB)'),
    calibrationDir: z.string().default('.data/calibration').describe('Where <model>.calib INT8 calibration caches are looked up'),
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

/** The `inference` config section: backend choice and TensorRT build options. */
import { z } from 'zod';

export const inferenceSection = z
  .strictObject({
    backend: z
      .enum(['auto', 'onnxruntime', 'tensorrt'])
      .default('auto')
      .describe(
        'auto chooses per model: TensorRT for models its parser takes (float, QDQ) when the addon was built with it, onnxruntime otherwise (QOperator int8 models, or no TensorRT)',
      ),
    threads: z.number().int().min(1).max(64).default(2).describe('CPU threads per onnxruntime session'),
    engineCacheDir: z.string().default('.data/engines').describe('Where built TensorRT engines are cached'),
    precision: z
      .enum(['fp32', 'fp16', 'int8'])
      .default('fp16')
      .describe('TensorRT precision (int8 falls back to fp16 where the GPU or model cannot)'),
    dlaCore: z.number().int().min(0).max(7).nullable().default(null).describe('TensorRT DLA core (GPU fallback on); null = GPU only'),
    maxBatch: z.number().int().min(1).max(64).default(8).describe('Largest embedder batch a TensorRT engine is built for'),
    workspaceMiB: z.number().int().min(16).max(16384).default(256).describe('TensorRT builder workspace (MiB)'),
    calibrationDir: z.string().default('.data/calibration').describe('Where <model>.calib INT8 calibration caches are looked up'),
  })
  .prefault({});

export type InferenceConfig = z.output<typeof inferenceSection>;

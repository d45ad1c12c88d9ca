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
    spinning: z
      .boolean()
      .default(false)
      .describe(
        "Whether onnxruntime's idle intra-op threads spin-wait for work. Off: on 2 cores with other processes busy, spinning halved the detector's rate (bench/spin.ts: a spinning pool thread holds a core the other session, GStreamer and the JS thread need)",
      ),
    detectorWorker: z
      .boolean()
      .default(false)
      .describe(
        "Run the detector's onnxruntime session in a worker thread and detect each camera's next frame while the current one is embedded, matched and tracked (one frame of lookahead; onnxruntime-node computes on the calling thread, so this is the only way the stages overlap). Off by default: measured on the 2-core build machine (bench/pipeline.ts --unpaced --motion off --detector-worker on|off, load ~4.5), 28.4 and 33.5 frames/s with it against 39.6 and 37.8 without, and more CPU per frame (29-34 ms against 26-27): since the embedding schedule embeds few frames there is little to overlap, and the worker's thread competes with the detector's own intra-op threads for the 2 cores. It pays where every crop is embedded (bench/overlap.ts: 1.49x) or with more cores",
      ),
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

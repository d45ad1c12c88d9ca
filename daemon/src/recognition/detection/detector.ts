/**
 * The detector: manifest-driven letterbox pre-processing, one inference, YOLOX
 * decoding, class-aware NMS then a class-blind pass for one animal with two labels, and boxes mapped back to frame pixels. The
 * letterbox and NMS run on the pixel kernels (the native addon when present,
 * the TypeScript references otherwise: daemon/src/kernels/kernels.ts).
 */
import { GlovesError } from '../../errors.js';
import type { InferenceSession } from '../../inference/backend.js';
import type { ModelManifest } from '../../models/manifest.js';
import { defaultKernels, type PixelKernels } from '../../kernels/kernels.js';
import { unmapBox } from '../../vision/preprocess.js';
import type { RgbImage } from '../../vision/image.js';
import { clipBox } from '../embedding/crop.js';
import { nms, suppressAcrossClasses } from '../../kernels/nms.js';
import type { AnimalLabel, Detection, Detector } from '../types.js';
import { decodeYolox, type RawCandidate } from './yolox.js';

export interface DetectionOptions {
  minScore: number;
  nmsIou: number;
  /** Class-blind second pass: one animal scored as both cat and dog keeps only its best label. */
  crossClassIou: number;
  labels: readonly AnimalLabel[];
}

/** Input size [width, height] from an NCHW manifest input. */
export function inputSize(m: ModelManifest): [number, number] {
  const shape = m.inputs[0]!.shape;
  const h = shape[2];
  const w = shape[3];
  if (typeof w !== 'number' || typeof h !== 'number') {
    throw new GlovesError('MANIFEST_INVALID', `${m.name}: input ${m.inputs[0]!.name} needs a fixed H and W, got [${shape.join(',')}]`);
  }
  return [w, h];
}

/** Pure post-processing of one YOLOX output for a frame: decode, NMS, unmap, clip. */
export function postprocessDetections(
  m: ModelManifest,
  output: Float32Array,
  dims: readonly number[],
  transform: Parameters<typeof unmapBox>[1],
  frame: { width: number; height: number },
  opts: DetectionOptions,
): Detection[] {
  const cands = candidates(m, output, dims, opts);
  const keep = nms(
    cands.map((c) => c.box),
    cands.map((c) => c.score),
    cands.map((c) => c.classId),
    opts.nmsIou,
  );
  return keptDetections(m, cands, acrossClasses(cands, keep, opts), transform, frame);
}

function candidates(m: ModelManifest, output: Float32Array, dims: readonly number[], opts: DetectionOptions): RawCandidate[] {
  if (m.postprocess.kind !== 'yolox') throw new GlovesError('MANIFEST_INVALID', `${m.name} is not a YOLOX detector`);
  const [w, h] = inputSize(m);
  const classIds = opts.labels.map((l) => {
    const i = m.labels.indexOf(l);
    if (i < 0) throw new GlovesError('MANIFEST_INVALID', `${m.name} has no label ${l}`);
    return i;
  });
  return decodeYolox(output, dims, { inputWidth: w, inputHeight: h, strides: m.postprocess.strides, classIds, minScore: opts.minScore });
}

/** The class-blind pass runs on the few boxes class-aware NMS kept (TypeScript: a handful of IoUs). */
function acrossClasses(cands: readonly RawCandidate[], keep: readonly number[], opts: DetectionOptions): number[] {
  return suppressAcrossClasses(
    cands.map((c) => c.box),
    keep,
    opts.crossClassIou,
  );
}

function keptDetections(
  m: ModelManifest,
  cands: RawCandidate[],
  keep: readonly number[],
  transform: Parameters<typeof unmapBox>[1],
  frame: { width: number; height: number },
): Detection[] {
  const dets: Detection[] = [];
  for (const i of keep) {
    const c = cands[i]!;
    const box = clipBox(unmapBox(c.box, transform), frame.width, frame.height);
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
    dets.push({ label: m.labels[c.classId] as AnimalLabel, score: c.score, box });
  }
  return dets;
}

/** `kernels` defaults to the process-wide choice (native addon when built, else TypeScript). */
export function createDetector(
  manifest: ModelManifest,
  session: InferenceSession,
  opts: DetectionOptions,
  kernels: PixelKernels = defaultKernels(),
): Detector {
  if (manifest.task !== 'detector') throw new GlovesError('MANIFEST_INVALID', `${manifest.name} is not a detector`);
  const [w, h] = inputSize(manifest);
  const inName = manifest.inputs[0]!.name;
  const outName = manifest.outputs[0]!.name;
  // The input tensor is reused between frames: a fresh 2 MB buffer per frame
  // (allocation, page faults, GC) costs more than the letterbox itself. A call
  // overlapping another one gets its own buffer.
  let spare: Float32Array | null = null;
  return {
    async detect(img: RgbImage): Promise<Detection[]> {
      const tensor = spare ?? new Float32Array(3 * w * h);
      spare = null;
      try {
        const frame = { format: 'RGB' as const, width: img.width, height: img.height, data: img.data };
        const [transform] = await kernels.preprocessInto(frame, manifest.preprocess, w, h, tensor, 0, [
          { x: 0, y: 0, width: img.width, height: img.height },
        ]);
        const out = await session.run({ [inName]: { dims: [1, 3, h, w], data: tensor } });
        const o = out[outName]!;
        const cands = candidates(manifest, o.data, o.dims, opts);
        const keep = await kernels.nms(
          cands.map((c) => c.box),
          cands.map((c) => c.score),
          cands.map((c) => c.classId),
          opts.nmsIou,
        );
        return keptDetections(manifest, cands, acrossClasses(cands, keep, opts), transform!, img);
      } finally {
        spare = tensor;
      }
    },
    dispose: () => session.dispose(),
  };
}

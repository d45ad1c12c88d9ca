/**
 * The detector: manifest-driven letterbox pre-processing, one inference, YOLOX
 * decoding, class-aware NMS, and boxes mapped back to frame pixels.
 */
import { GlovesError } from '../errors.js';
import type { InferenceSession } from '../inference/backend.js';
import type { ModelManifest } from '../models/manifest.js';
import { preprocess, unmapBox } from '../vision/preprocess.js';
import type { RgbImage } from '../vision/image.js';
import { clipBox } from './crop.js';
import { nms } from './nms.js';
import type { AnimalLabel, Detection, Detector } from './types.js';
import { decodeYolox } from './yolox.js';

export interface DetectionOptions {
  minScore: number;
  nmsIou: number;
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
  if (m.postprocess.kind !== 'yolox') throw new GlovesError('MANIFEST_INVALID', `${m.name} is not a YOLOX detector`);
  const [w, h] = inputSize(m);
  const classIds = opts.labels.map((l) => {
    const i = m.labels.indexOf(l);
    if (i < 0) throw new GlovesError('MANIFEST_INVALID', `${m.name} has no label ${l}`);
    return i;
  });
  const cands = decodeYolox(output, dims, { inputWidth: w, inputHeight: h, strides: m.postprocess.strides, classIds, minScore: opts.minScore });
  const keep = nms(
    cands.map((c) => c.box),
    cands.map((c) => c.score),
    cands.map((c) => c.classId),
    opts.nmsIou,
  );
  const dets: Detection[] = [];
  for (const i of keep) {
    const c = cands[i]!;
    const box = clipBox(unmapBox(c.box, transform), frame.width, frame.height);
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
    dets.push({ label: m.labels[c.classId] as AnimalLabel, score: c.score, box });
  }
  return dets;
}

export function createDetector(manifest: ModelManifest, session: InferenceSession, opts: DetectionOptions): Detector {
  if (manifest.task !== 'detector') throw new GlovesError('MANIFEST_INVALID', `${manifest.name} is not a detector`);
  const [w, h] = inputSize(manifest);
  const inName = manifest.inputs[0]!.name;
  const outName = manifest.outputs[0]!.name;
  return {
    async detect(img: RgbImage): Promise<Detection[]> {
      const { tensor, transform } = preprocess(img, manifest.preprocess, w, h);
      const out = await session.run({ [inName]: { dims: [1, 3, h, w], data: tensor } });
      const o = out[outName]!;
      return postprocessDetections(manifest, o.data, o.dims, transform, img, opts);
    },
    dispose: () => session.dispose(),
  };
}

/**
 * `calibration-set`: frames directory -> N representative, pre-processed model
 * inputs. Each frame is decoded and run through the runtime detector (to tag
 * frames with/without animals, and to find the animal crop that an embedder
 * sees), described by image statistics, and then chosen by k-center greedy
 * with every (animal x lighting) stratum seeded. The chosen frames are
 * pre-processed with the runtime's own code (daemon/src/vision/preprocess.ts).
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createOnnxRuntimeBackend } from '../../../daemon/src/inference/onnxruntime.js';
import { createDetector, inputSize } from '../../../daemon/src/recognition/index.js';
import { cropRegion } from '../../../daemon/src/recognition/index.js';
import { decodeImageFile } from '../../../daemon/src/vision/decode.js';
import { preprocessInto, type Region } from '../../../daemon/src/vision/preprocess.js';
import type { Detector } from '../../../daemon/src/recognition/index.js';
import { TrainerError } from '../errors.js';
import { resolveModel } from '../models.js';
import { loadModel } from '../onnx/proto.js';
import { resolveInputShapes } from '../onnx/graph.js';
import { featureVector, imageStats, lightingOf } from './features.js';
import { coverageRadius, kCenterGreedy, meanNearestNeighbour, strataCounts, type Candidate } from './select.js';
import { CALIBRATION_SET_FILE, CALIBRATION_SET_FORMAT, encodeSample, type CalibrationSet } from './format.js';

const IMAGE_RE = /\.(jpe?g|png|webp)$/i;

export function listFrames(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch (err) {
    throw new TrainerError('FRAMES_EMPTY', `cannot read frames directory ${dir}`, { dir }, { cause: err });
  }
  const files = entries.filter((f) => IMAGE_RE.test(f) && statSync(join(dir, f)).isFile()).sort();
  if (files.length === 0) throw new TrainerError('FRAMES_EMPTY', `frames directory ${dir} holds no images (.jpg, .png, .webp)`, { dir });
  return files.map((f) => join(dir, f));
}

export interface CalibrationSetOptions {
  framesDir: string;
  modelManifest: string;
  /** Detector used to tag animals (and crop for embedders); default: the model itself if a detector. */
  detectorManifest: string;
  size: number;
  outDir: string;
  shape?: Record<string, number[]>;
  cropMargin?: number;
  minScore?: number;
  threads?: number;
  progress: (line: string) => void;
}

interface FrameInfo {
  file: string;
  animal: boolean;
  lighting: 'day' | 'night';
  box: [number, number, number, number] | null;
  candidate: Candidate;
}

export async function buildCalibrationSet(o: CalibrationSetOptions): Promise<{ dir: string; set: CalibrationSet }> {
  const frames = listFrames(o.framesDir);
  const target = resolveModel(o.modelManifest);
  const m = target.manifest;
  const onnxModel = loadModel(target.file);
  const inputName = m.inputs[0]!.name;
  const dims = resolveInputShapes(onnxModel, o.shape ?? {})[inputName];
  if (!dims) throw new TrainerError('SHAPE_INVALID', `model has no input ${inputName}`, { input: inputName });
  if (dims[0] !== 1)
    throw new TrainerError('SHAPE_INVALID', `calibration samples are single images: batch must be 1, got ${dims[0]}`, { dims });
  const [w, h] = inputSize({ ...m, inputs: [{ ...m.inputs[0]!, shape: dims }] });

  const det = resolveModel(o.detectorManifest);
  const backend = createOnnxRuntimeBackend({ threads: o.threads ?? 2 });
  const detector: Detector = createDetector(det.manifest, await backend.load(det.manifest, det.file), {
    minScore: o.minScore ?? 0.3,
    nmsIou: 0.45,
    crossClassIou: 0.7,
    labels: ['cat', 'dog'],
  });
  const infos: FrameInfo[] = [];
  try {
    for (const [k, file] of frames.entries()) {
      const img = await decodeImageFile(file);
      const dets = await detector.detect(img);
      const stats = imageStats(img);
      const lighting = lightingOf(stats);
      const best = dets.reduce<(typeof dets)[number] | null>((a, d) => (!a || d.score > a.score ? d : a), null);
      infos.push({
        file,
        animal: best !== null,
        lighting,
        box: best ? best.box : null,
        candidate: { features: featureVector(img, stats, best !== null), stratum: `${best ? 'animal' : 'empty'}/${lighting}` },
      });
      if ((k + 1) % 25 === 0 || k + 1 === frames.length) o.progress(`analysed ${k + 1}/${frames.length} frames`);
    }
  } finally {
    await detector.dispose();
  }

  const candidates = infos.map((i) => i.candidate);
  const size = Math.min(o.size, frames.length);
  const chosen = kCenterGreedy(candidates, size);
  const firstN = Array.from({ length: size }, (_, i) => i);
  const spaced = Array.from({ length: size }, (_, i) => Math.floor((i * frames.length) / size));
  const diversity = {
    method: 'k-center greedy, strata seeded',
    coverageRadius: coverageRadius(candidates, chosen),
    coverageRadiusFirstN: coverageRadius(candidates, firstN),
    coverageRadiusEvenlySpaced: coverageRadius(candidates, spaced),
    meanNearestNeighbour: meanNearestNeighbour(candidates, chosen),
    meanNearestNeighbourFirstN: meanNearestNeighbour(candidates, firstN),
    strataInSource: strataCounts(
      candidates,
      candidates.map((_, i) => i),
    ),
    strataInSet: strataCounts(candidates, chosen),
  };

  const outDir = resolve(o.outDir);
  mkdirSync(join(outDir, 'samples'), { recursive: true });
  const samples: CalibrationSet['samples'] = [];
  const slot = dims.reduce((a, b) => a * b, 1);
  for (const [k, idx] of chosen.entries()) {
    const info = infos[idx]!;
    const img = await decodeImageFile(info.file);
    let region: Region = { x: 0, y: 0, width: img.width, height: img.height };
    // An embedder sees the animal crop the runtime would cut; frames without an animal are fed whole.
    if (m.task === 'embedder' && info.box) region = cropRegion(info.box, o.cropMargin ?? 0.1, img.width, img.height);
    const tensor = new Float32Array(slot);
    preprocessInto(img, m.preprocess, w, h, tensor, 0, region);
    const file = `samples/${String(k).padStart(4, '0')}.f32`;
    writeFileSync(join(outDir, file), encodeSample(tensor));
    samples.push({
      file,
      source: relative(resolve(o.framesDir), info.file),
      region: [region.x, region.y, region.width, region.height],
      animal: info.animal,
      lighting: info.lighting,
    });
    if ((k + 1) % 10 === 0 || k + 1 === chosen.length) o.progress(`wrote ${k + 1}/${chosen.length} samples`);
  }
  const set: CalibrationSet = {
    format: CALIBRATION_SET_FORMAT,
    model: { name: m.name, sha256: m.sha256, task: m.task },
    input: { name: inputName, dims },
    preprocess: m.preprocess,
    selection: {
      method: 'k-center-greedy',
      features: '8x8 luma thumbnail + RGB mean/std + colourfulness + animal flag',
      seedOrder: 'central member of each animal x lighting stratum',
    },
    samples,
    diversity,
    sourceFrames: frames.length,
  };
  writeFileSync(join(outDir, CALIBRATION_SET_FILE), JSON.stringify(set, null, 2) + '\n');
  return { dir: outDir, set };
}

/**
 * Naming the animals in one image: detect, embed, match. The one definition of the answer's shape,
 * shared by `gloves identify --json` and POST /v1/identify (scores and confidences to 3 decimals,
 * box coordinates to 1).
 */
import type { RgbImage } from '../vision/image.js';
import type { AnimalLabel, Box, Detector, Embedder, Matcher } from './types.js';

export interface IdentifiedAnimal {
  label: AnimalLabel;
  score: number;
  box: Box;
  /** The pet's name, or null: not an enrolled pet. */
  pet: string | null;
  confidence: number;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export async function identifyAnimals(
  parts: { detector: Detector; embedder: Embedder; matcher: Matcher },
  img: RgbImage,
): Promise<IdentifiedAnimal[]> {
  const dets = await parts.detector.detect(img);
  const embs =
    dets.length > 0
      ? await parts.embedder.embed(
          img,
          dets.map((d) => d.box),
        )
      : [];
  return dets.map((d, i) => {
    const m = parts.matcher.match(embs[i]!);
    return { label: d.label, score: r3(d.score), box: d.box.map(r1) as Box, pet: m.pet?.name ?? null, confidence: r3(m.confidence) };
  });
}

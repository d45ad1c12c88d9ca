/**
 * Comparing two animals (the compare tool): the cosine of their whitened embeddings, and the
 * probability that they are the same pet, treating the anchor as a pet enrolled from one photo
 * and scoring the other against it with the matcher's own rule: from the calibrated
 * log-likelihood ratio at even odds when the rule has one, else from its confidence curve.
 */
import { buildPrototypes, scorePets, type DecisionRule } from './matcher.js';
import { cosine } from './linalg.js';
import { applyTransform, type PopulationStats } from './stats.js';

export interface Comparison {
  similarity: number;
  probability: number;
}

const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

export function compareEmbeddings(
  anchor: Float32Array,
  others: readonly Float32Array[],
  rule: DecisionRule,
  stats: PopulationStats | undefined,
): Comparison[] {
  const [proto] = buildPrototypes([{ id: 'anchor', name: 'anchor', embeddings: [anchor] }], rule, stats);
  const a = applyTransform(anchor, stats);
  return others.map((o) => {
    const q = applyTransform(o, stats);
    const [s] = scorePets(q, [proto!], rule, stats);
    const probability = s!.llr !== undefined ? logistic(s!.llr) : logistic(rule.slope * (s!.score - rule.threshold) + rule.offset);
    return { similarity: cosine(a, q), probability };
  });
}

import { z } from 'zod';

/**
 * The `matching` config section: identity matching.
 * Defaults were chosen by cross-validation across cats (see daemon/src/recognition/matching/matcher.ts).
 */
export const matchingSection = z
  .strictObject({
    threshold: z
      .number()
      .min(-1)
      .max(1)
      .optional()
      .describe('Minimum similarity to name a pet (below: unknown); default: the value calibrated in the population statistics'),
    margin: z.number().min(0).max(2).optional().describe('Minimum lead of the best pet over the second; default: calibrated value'),
    spreadWeight: z
      .number()
      .min(0)
      .max(2)
      .optional()
      .describe(
        "Subtract this times a pet's enrolment spread (mean pairwise similarity of its photos) from its score; default: calibrated value",
      ),
    prototypes: z
      .enum(['mean', 'each'])
      .default('mean')
      .describe("Compare to the mean of each pet's photos, or to each photo (score = mean of the best `topK`)"),
    topK: z.number().int().min(1).max(20).default(1).describe('With prototypes=each: average the best K photo similarities of a pet'),
    population: z
      .boolean()
      .default(true)
      .describe('Centre/whiten embeddings with the population statistics shipped for the embedder (models/stats)'),
    flipTta: z.boolean().default(true).describe('Also embed the mirrored crop and average (test-time augmentation)'),
    statsDir: z.string().default('models/stats').describe('Directory of population statistics, one file per embedder model id'),
  })
  .prefault({});

export type MatchingSectionConfig = z.output<typeof matchingSection>;

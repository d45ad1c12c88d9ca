/** The `detection` config section. */
import { z } from 'zod';

export const detectionSection = z
  .strictObject({
    minScore: z.number().min(0).max(1).default(0.3).describe('Minimum detection score (obj * class)'),
    nmsIou: z.number().min(0).max(1).default(0.45).describe('IoU above which NMS suppresses a box'),
    // One animal is often detected as both cat and dog with near-identical boxes (IoU 0.75-0.99 on
    // 6 of the shared cat photos); two real animals of different species rarely overlap that much.
    crossClassIou: z
      .number()
      .min(0)
      .max(1)
      .default(0.7)
      .describe('IoU above which a box of one animal class suppresses a lower-scored box of another (one animal, two labels)'),
    labels: z
      .array(z.enum(['cat', 'dog']))
      .min(1)
      .default(['cat', 'dog'])
      .describe('Animal classes to detect'),
    cropMargin: z.number().min(0).max(1).default(0.1).describe('Margin added around a box before embedding'),
  })
  .prefault({});

export type DetectionConfig = z.output<typeof detectionSection>;

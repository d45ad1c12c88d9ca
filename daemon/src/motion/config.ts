/** The `motion` config section: when a frame is worth running the detector on (./gate.ts). */
import { z } from 'zod';

export const motionSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Skip detection on frames without motion (a still scene costs almost nothing)'),
    factor: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('Frames are compared as grey images downscaled by this factor (block mean: also averages away sensor noise)'),
    pixelThreshold: z
      .number()
      .int()
      .min(0)
      .max(255)
      .default(12)
      .describe('A downscaled grey pixel changed when it differs by more than this many levels'),
    cellsX: z.number().int().min(1).max(64).default(16).describe('Columns of the grid in which changed pixels are counted'),
    cellsY: z.number().int().min(1).max(64).default(9).describe('Rows of that grid'),
    cellFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.03)
      .describe('A cell moves when at least this fraction of its pixels changed; one moving cell is motion'),
    recheckSeconds: z
      .number()
      .positive()
      .default(5)
      .describe(
        'Detection runs at least this often even without motion, so a still (sleeping) pet keeps being seen (at most half of tracking.awayAfterSeconds is used)',
      ),
    undecidedRecheckSeconds: z
      .number()
      .positive()
      .default(0.5)
      .describe(
        'While some track is still undecided (not yet named or unknown), detection runs at least this often even without motion: ' +
          'a new animal that keeps still is decided in seconds (each decision needs tracking.minVotes detections)',
      ),
  })
  .prefault({});

export type MotionConfig = z.output<typeof motionSection>;

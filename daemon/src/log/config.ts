/** The `log` config section. */
import { z } from 'zod';

export const logSection = z
  .strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Minimum log level'),
    summarySeconds: z
      .number()
      .positive()
      .default(60)
      .describe('How often the daemon logs a one-line summary: frames, fps, camera state, memory (RSS, heap, external)'),
  })
  .prefault({});

export type LogConfig = z.output<typeof logSection>;

/** The `device` config section: identity and state directory of the whole device (owned by the composition, not by one feature). */
import { z } from 'zod';

export const deviceSection = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/, 'only letters, digits, _ and - are allowed')
      .default('gloves')
      .describe('Device id: topic segment and Home Assistant identifier'),
    name: z.string().default('Gloves').describe('Human-readable device name'),
    stateDir: z.string().default('.data/state').describe('Persistent state (outbox, pet states)'),
  })
  .prefault({});

export type DeviceConfig = z.output<typeof deviceSection>;

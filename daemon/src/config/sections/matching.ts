import { z } from 'zod';

/** Identity matching. Owned by the recognition module (daemon/src/recognition). */
export const matchingSection = z.strictObject({}).prefault({});

/** The `gallery` config section. */
import { z } from 'zod';

export const gallerySection = z
  .strictObject({
    dir: z.string().default('.data/gallery').describe('Directory of the enrolled-pet gallery'),
  })
  .prefault({});

export type GalleryConfig = z.output<typeof gallerySection>;

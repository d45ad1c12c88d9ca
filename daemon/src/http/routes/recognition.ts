/** POST /v1/identify and POST /v1/compare, on the daemon's own models and gallery; rate-limited per client. */
import { GlovesError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import type { RouteGroup } from '../route.js';
import { readUploads, requireImage } from '../uploads.js';

const box = { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 } as const;
const detection = {
  type: 'object',
  required: ['label', 'score', 'box', 'pet', 'confidence'],
  properties: {
    label: { type: 'string', enum: ['cat', 'dog'] },
    score: { type: 'number' },
    box,
    pet: { type: 'string', nullable: true },
    confidence: { type: 'number' },
  },
} as const;
const errors = { 400: errorSchema, 401: errorSchema, 413: errorSchema, 415: errorSchema, 429: errorSchema };

export const recognitionRoutes: RouteGroup = (app, { deps, rateLimit }) => {
  app.post(
    '/v1/identify',
    {
      config: { rateLimit },
      schema: {
        summary: 'Name the pets in one image (the shape of `gloves identify --json`)',
        description: 'The image is the raw body (image/jpeg, image/png, image/webp) or multipart/form-data file field `image`.',
        response: {
          200: { type: 'object', required: ['detections'], properties: { detections: { type: 'array', items: detection } } },
          ...errors,
        },
      },
    },
    async (req) => {
      const uploads = await readUploads(req);
      const image = uploads.get('image')?.[0];
      if (!image) throw new GlovesError('HTTP_BAD_REQUEST', 'no image: send it as the body or as multipart field `image`');
      return { detections: await deps.recognition.identify(requireImage(image)) };
    },
  );
  app.post(
    '/v1/compare',
    {
      config: { rateLimit },
      schema: {
        summary: 'Compare an anchor image with other images: similarity and same-pet probability for each',
        description:
          'multipart/form-data: one file field `anchor`, one or more file fields `images`. Each image is represented by its most confident animal.',
        response: {
          200: {
            type: 'object',
            required: ['anchor', 'results'],
            properties: {
              anchor: {
                type: 'object',
                properties: { image: { type: 'string' }, label: { type: 'string' }, score: { type: 'number' }, box },
              },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['image'],
                  properties: {
                    image: { type: 'string' },
                    label: { type: 'string' },
                    score: { type: 'number' },
                    box,
                    similarity: { type: 'number' },
                    probability: { type: 'number' },
                    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
                  },
                },
              },
            },
          },
          ...errors,
          422: errorSchema,
        },
      },
    },
    async (req) => {
      if (!req.isMultipart())
        throw new GlovesError('HTTP_UNSUPPORTED_MEDIA', 'compare takes multipart/form-data: fields `anchor` and `images`');
      const uploads = await readUploads(req);
      const anchor = uploads.get('anchor')?.[0];
      const others = uploads.get('images') ?? [];
      if (!anchor || others.length === 0)
        throw new GlovesError('HTTP_BAD_REQUEST', 'compare needs one file field `anchor` and at least one file field `images`');
      return deps.recognition.compare(requireImage(anchor), others.map(requireImage));
    },
  );
};

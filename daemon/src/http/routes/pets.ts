/**
 * The pets: list, create, get, delete; photos: enrol from uploads, delete, fetch.
 * Every change reaches the running matcher and discovery.
 */
import { createReadStream } from 'node:fs';
import { GlovesError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import type { RouteGroup } from '../route.js';
import { checkId, readUploads, sniffImage } from '../uploads.js';

const photo = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    added_at: { type: 'string' },
    label: { type: 'string' },
    score: { type: 'number' },
    url: { type: 'string' },
  },
} as const;
export const petSchema = {
  type: 'object',
  required: ['id', 'name', 'created_at', 'photos'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    created_at: { type: 'string' },
    photos: { type: 'array', items: photo },
    state: { type: 'object', nullable: true, additionalProperties: true },
  },
} as const;
export const enrolSchema = {
  type: 'object',
  required: ['pet', 'results'],
  properties: {
    pet: petSchema,
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['image', 'accepted'],
        properties: { image: { type: 'string' }, accepted: { type: 'boolean' }, code: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
const photoParams = {
  type: 'object',
  required: ['id', 'photo'],
  properties: { id: { type: 'string' }, photo: { type: 'string' } },
} as const;
type Id = { Params: { id: string } };
type Photo = { Params: { id: string; photo: string } };

export const petRoutes: RouteGroup = (app, { deps }) => {
  const pets = deps.pets;
  app.get(
    '/v1/pets',
    {
      schema: {
        summary: 'The enrolled pets',
        response: { 200: { type: 'object', properties: { pets: { type: 'array', items: petSchema } } } },
      },
    },
    async () => ({
      pets: pets.list(),
    }),
  );
  app.post<{ Body: { name: string } }>(
    '/v1/pets',
    {
      schema: {
        summary: 'Add a pet (no photos yet)',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 201: petSchema, 400: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => reply.code(201).send(await pets.create(req.body.name)),
  );
  app.get<Id>(
    '/v1/pets/:id',
    { schema: { summary: 'One pet', params: idParams, response: { 200: petSchema, 404: errorSchema } } },
    async (req) => pets.get(checkId('pet', req.params.id)),
  );
  app.delete<Id>(
    '/v1/pets/:id',
    {
      schema: {
        summary: 'Remove a pet (its Home Assistant entities are cleared)',
        params: idParams,
        response: { 204: { type: 'null' }, 404: errorSchema },
      },
    },
    async (req, reply) => {
      await pets.remove(checkId('pet', req.params.id));
      return reply.code(204).send();
    },
  );
  app.post<Id>(
    '/v1/pets/:id/photos',
    {
      schema: {
        summary: 'Enrol photos (multipart, any file fields): each is accepted or rejected with its reason',
        params: idParams,
        response: { 200: enrolSchema, 404: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema },
      },
    },
    async (req) => {
      const id = checkId('pet', req.params.id);
      pets.get(id);
      const uploads = [...(await readUploads(req)).values()].flat();
      if (uploads.length === 0) throw new GlovesError('HTTP_BAD_REQUEST', 'no photos: send one or more image files');
      // A file that is not an image (by its bytes) is rejected like any other bad photo; the rest are enrolled.
      const images = uploads.filter((u) => sniffImage(u.bytes));
      const refused = uploads
        .filter((u) => !sniffImage(u.bytes))
        .map((u) => ({
          image: u.name,
          accepted: false,
          code: 'HTTP_UNSUPPORTED_MEDIA',
          reason: 'not a JPEG, PNG or WebP image (by its content)',
        }));
      if (images.length === 0)
        throw new GlovesError('HTTP_UNSUPPORTED_MEDIA', `no image among the uploads: ${refused.map((r) => r.image).join(', ')}`);
      const result = await pets.addPhotos(id, images);
      return { ...result, results: [...result.results, ...refused] };
    },
  );
  app.delete<Photo>(
    '/v1/pets/:id/photos/:photo',
    { schema: { summary: 'Remove one photo of a pet', params: photoParams, response: { 204: { type: 'null' }, 404: errorSchema } } },
    async (req, reply) => {
      await pets.removePhoto(checkId('pet', req.params.id), checkId('photo', req.params.photo));
      return reply.code(204).send();
    },
  );
  app.get<Photo>(
    '/v1/pets/:id/photos/:photo.jpg',
    { schema: { summary: "A photo's crop (JPEG)", params: photoParams } },
    async (req, reply) => {
      const file = pets.photoFile(checkId('pet', req.params.id), checkId('photo', req.params.photo));
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(createReadStream(file));
    },
  );
};

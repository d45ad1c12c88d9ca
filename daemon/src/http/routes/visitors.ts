/** The visitors (unknown animals the daemon clustered): list, name (becomes a pet, enrolled from its crops), forget, crops. */
import { createReadStream } from 'node:fs';
import { errorSchema } from '../errors.js';
import type { RouteGroup } from '../route.js';
import { checkId } from '../uploads.js';
import { enrolSchema } from './pets.js';

const visitor = {
  type: 'object',
  required: ['id', 'sightings', 'first_seen', 'last_seen', 'crops'],
  properties: {
    id: { type: 'string' },
    sightings: { type: 'number' },
    first_seen: { type: 'string' },
    last_seen: { type: 'string' },
    crops: { type: 'array', items: { type: 'object', properties: { file: { type: 'string' }, url: { type: 'string' } } } },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
type Id = { Params: { id: string } };

export const visitorRoutes: RouteGroup = (app, { deps }) => {
  const visitors = deps.visitors;
  app.get(
    '/v1/visitors',
    {
      schema: {
        summary: 'The visitors',
        response: { 200: { type: 'object', properties: { visitors: { type: 'array', items: visitor } } } },
      },
    },
    async () => ({
      visitors: visitors.list(),
    }),
  );
  app.post<Id & { Body: { name: string } }>(
    '/v1/visitors/:id/name',
    {
      schema: {
        summary: 'Name a visitor: its crops are enrolled as the pet called name (same checks as enrolment), then it is forgotten',
        params: idParams,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 200: enrolSchema, 400: errorSchema, 404: errorSchema, 422: errorSchema },
      },
    },
    async (req) => visitors.name(checkId('visitor', req.params.id), req.body.name),
  );
  app.delete<Id>(
    '/v1/visitors/:id',
    { schema: { summary: 'Forget a visitor and its crops', params: idParams, response: { 204: { type: 'null' }, 404: errorSchema } } },
    async (req, reply) => {
      await visitors.forget(checkId('visitor', req.params.id));
      return reply.code(204).send();
    },
  );
  app.get<{ Params: { id: string; file: string } }>(
    '/v1/visitors/:id/crops/:file',
    {
      schema: {
        summary: "One of a visitor's crops (JPEG)",
        params: { type: 'object', properties: { id: { type: 'string' }, file: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const file = visitors.cropFile(checkId('visitor', req.params.id), checkId('crop', req.params.file));
      return reply.type('image/jpeg').send(createReadStream(file));
    },
  );
};

/**
 * The device's model versions: list, install a pushed bundle (`gloves-trainer push`), activate one, roll back.
 * A bundle is the raw body as `application/x-tar`, streamed to the model manager (it unpacks with its own size
 * limit), so a bundle is not held in memory and is not bound by http.maxUploadBytes.
 */
import type { Readable } from 'node:stream';
import { errorSchema } from '../errors.js';
import type { RouteGroup } from '../route.js';

const status = {
  type: 'object',
  required: ['active', 'name', 'previous', 'probation_until'],
  properties: {
    active: { type: 'string', nullable: true, description: 'version id, null for the built-in models' },
    name: { type: 'string' },
    previous: { type: 'string', nullable: true },
    probation_until: { type: 'string', nullable: true },
    embedder: { type: 'string' },
  },
} as const;
const list = {
  type: 'object',
  properties: {
    ...status.properties,
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          createdAt: { type: 'string' },
          embedderId: { type: 'string' },
          tasks: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    history: {
      type: 'array',
      items: {
        type: 'object',
        properties: { at: { type: 'string' }, version: { type: 'string', nullable: true }, why: { type: 'string' } },
      },
    },
  },
} as const;
const failures = { 404: errorSchema, 409: errorSchema, 415: errorSchema, 422: errorSchema };
/** `builtin` names the configured models in a path. */
const BUILTIN = 'builtin';

export const modelRoutes: RouteGroup = (app, { deps }) => {
  const models = deps.models;
  // Streamed, not buffered: the manager reads the tar as it arrives.
  app.addContentTypeParser('application/x-tar', (_req, payload, done) => done(null, payload));
  app.get(
    '/v1/models',
    { schema: { summary: 'The model versions on this device, the active one and the history', response: { 200: list } } },
    async () => models.status(),
  );
  app.post(
    '/v1/models',
    {
      schema: {
        summary: 'Install a signed bundle (.tar, Content-Type application/x-tar): verify, smoke-test, swap in on probation',
        response: { 200: status, ...failures },
      },
    },
    async (req) => models.install(req.body as Readable),
  );
  app.post<{ Params: { version: string } }>(
    '/v1/models/:version/activate',
    {
      schema: {
        summary: `Activate a stored version (\`${BUILTIN}\`: the configured models), on probation`,
        params: {
          type: 'object',
          required: ['version'],
          properties: { version: { type: 'string', pattern: `^([0-9a-f]{12}|${BUILTIN})$` } },
        },
        response: { 200: status, ...failures },
      },
    },
    async (req) => models.activate(req.params.version === BUILTIN ? null : req.params.version),
  );
  app.post(
    '/v1/models/rollback',
    { schema: { summary: 'Go back to the version active before this one', response: { 200: status, ...failures } } },
    async () => models.rollback(),
  );
};

/** What the camera sees: recent sightings with crops, the latest annotated frame, and the event stream (Server-Sent Events). */
import { GlovesError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import type { RouteGroup } from '../route.js';
import { checkId } from '../uploads.js';

const sighting = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    pet: { type: 'string', nullable: true },
    pet_id: { type: 'string', nullable: true },
    visitor: { type: 'string', nullable: true },
    ts: { type: 'string' },
    confidence: { type: 'number' },
    snapshot: { type: 'string', nullable: true },
  },
} as const;
/** Comment lines keep idle connections (and proxies) from timing out. */
const KEEPALIVE_MS = 15_000;

export const liveRoutes: RouteGroup = (app, { deps }) => {
  const live = deps.live;
  const streams = new Set<{ end(): void }>();
  // An open stream would keep close() waiting for ever: end them first.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
  app.get<{ Querystring: { limit: number } }>(
    '/v1/sightings',
    {
      schema: {
        summary: 'Recent sightings (pets and visitors), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
        response: { 200: { type: 'object', properties: { sightings: { type: 'array', items: sighting } } }, 400: errorSchema },
      },
    },
    async (req) => ({ sightings: live.sightings(req.query.limit) }),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/sightings/:id.jpg',
    { schema: { summary: "A sighting's crop (JPEG)", params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (req, reply) => {
      const id = checkId('sighting', req.params.id);
      const jpeg = live.sightingJpeg(id);
      if (!jpeg) throw new GlovesError('SIGHTING_NOT_FOUND', `no recent sighting ${JSON.stringify(id)} with a crop`, { sighting: id });
      return reply.type('image/jpeg').send(jpeg);
    },
  );
  app.get<{ Querystring: { camera?: string } }>(
    '/v1/frame.jpg',
    {
      schema: {
        summary: "A camera's latest frame with boxes and names drawn (JPEG); ?camera=ID, default the first camera",
        querystring: { type: 'object', properties: { camera: { type: 'string' } }, additionalProperties: false },
      },
    },
    async (req, reply) => {
      const camera = req.query.camera;
      if (camera !== undefined && !live.cameras().includes(camera))
        throw new GlovesError('CAMERA_NOT_FOUND', `no camera ${JSON.stringify(camera)}; cameras: ${live.cameras().join(', ')}`, { camera });
      const jpeg = await live.frameJpeg(camera);
      if (!jpeg) throw new GlovesError('HTTP_UNAVAILABLE', camera ? `no frame yet from camera ${camera}` : 'no frame yet');
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(jpeg);
    },
  );
  app.get(
    '/v1/events',
    { schema: { summary: 'Server-Sent Events: the events published on MQTT, as they happen (event: <type>, data: JSON)' } },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': gloves events\n\n');
      const unsubscribe = live.subscribe((e) => res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      streams.add(res);
      req.raw.on('close', () => {
        clearInterval(keepalive);
        unsubscribe();
        streams.delete(res);
      });
    },
  );
};

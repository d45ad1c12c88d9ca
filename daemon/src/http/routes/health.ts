/**
 * GET /healthz: camera (all cameras), inference, MQTT and disk, each ok or failing with a reason;
 * 200 when all are ok, else 503. Each camera's own check is listed beside, under `cameras`.
 */
import type { RouteGroup } from '../route.js';

const check = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'failing'] }, reason: { type: 'string' } },
} as const;

const report = {
  type: 'object',
  required: ['status', 'checks', 'cameras'],
  properties: {
    status: { type: 'string', enum: ['ok', 'failing'] },
    cameras: { type: 'object', additionalProperties: check },
    checks: {
      type: 'object',
      required: ['camera', 'inference', 'mqtt', 'disk'],
      properties: { camera: check, inference: check, mqtt: check, disk: check },
    },
  },
} as const;

export const healthRoutes: RouteGroup = (app, { deps }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Health of the cameras, inference, MQTT and disk',
        security: [],
        response: { 200: report, 503: report },
      },
    },
    async (_req, reply) => {
      const { cameras, ...checks } = await deps.health.health();
      const ok = Object.values(checks).every((c) => c.status === 'ok');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'failing', checks, cameras });
    },
  );
};

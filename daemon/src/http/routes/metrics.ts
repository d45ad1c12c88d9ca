/** GET /metrics: the Prometheus text format (../prometheus.ts). */
import type { RouteGroup } from '../route.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../prometheus.js';

export const metricsRoutes: RouteGroup = (app, { deps }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(renderPrometheus(deps.metrics.metrics())),
  );
};

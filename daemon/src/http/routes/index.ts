/**
 * Every route group of the API, registered in this order by ../server.ts. A group is one file
 * (a RouteGroup, ../route.ts) whose JSON schemas also make the OpenAPI document.
 */
import type { RouteGroup } from '../route.js';
import { healthRoutes } from './health.js';
import { liveRoutes } from './live.js';
import { metricsRoutes } from './metrics.js';
import { modelRoutes } from './models.js';
import { petRoutes } from './pets.js';
import { recognitionRoutes } from './recognition.js';
import { visitorRoutes } from './visitors.js';
import { webRoutes } from './web.js';

export const ROUTE_GROUPS: readonly RouteGroup[] = [
  healthRoutes,
  metricsRoutes,
  recognitionRoutes,
  petRoutes,
  visitorRoutes,
  liveRoutes,
  modelRoutes,
  webRoutes,
];

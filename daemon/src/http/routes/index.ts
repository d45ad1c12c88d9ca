/**
 * Every route group of the API, registered in this order by ../server.ts. A group is one file
 * (a RouteGroup, ../route.ts) whose JSON schemas also make the OpenAPI document.
 */
import type { RouteGroup } from '../route.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';

export const ROUTE_GROUPS: readonly RouteGroup[] = [healthRoutes, metricsRoutes];

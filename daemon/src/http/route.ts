/** The shape of a route group (./routes/*.ts): a function that declares its routes on the Fastify instance it is given. */
import type { FastifyInstance } from 'fastify';
import type { HttpConfig } from './config.js';
import type { HttpDeps } from './ports.js';

export interface RouteContext {
  deps: HttpDeps;
  config: HttpConfig;
  /** For `config: { rateLimit: ctx.rateLimit }` on the expensive routes. */
  rateLimit: { max: number; timeWindow: number };
}

export type RouteGroup = (app: FastifyInstance, ctx: RouteContext) => void | Promise<void>;

/**
 * The HTTP API server (Fastify). The constructor only assigns; start() reads the token file and
 * TLS files, builds the Fastify instance with its plugins (OpenAPI from the route schemas,
 * multipart, rate limits), registers every route group of ./routes/index.ts and listens; stop()
 * closes it (open event streams included).
 *
 * Adding routes: write a route group (./routes/*.ts, a function of (app, ctx) that declares
 * routes with JSON schemas), list it in ./routes/index.ts, and put what it needs from the daemon
 * in HttpDeps (./ports.ts). Access is by method (GET read, others write) unless a route says
 * `config: { access: 'public' }`.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { authorize, type Access } from './auth.js';
import { isLoopback, parseListen, readToken, type HttpConfig, type ListenAddress } from './config.js';
import { sendError, toHttpError } from './errors.js';
import type { HttpDeps } from './ports.js';
import type { RouteContext } from './route.js';
import { ROUTE_GROUPS } from './routes/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default: GET/HEAD read, anything else write). */
    access?: Access;
  }
}

/** Content types accepted as a raw image body; the real type is always sniffed from the bytes. */
export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

export class HttpServer {
  private readonly config: HttpConfig;
  private readonly deps: HttpDeps;
  private readonly log: Logger;
  private app: FastifyInstance | null = null;
  private bound: { url: string; address: AddressInfo } | null = null;

  constructor(config: HttpConfig, deps: HttpDeps, log: Logger) {
    this.config = config;
    this.deps = deps;
    this.log = log;
  }

  /** The address configured, or null when the API is off. */
  get listen(): ListenAddress | null {
    const r = parseListen(this.config.listen);
    if (typeof r === 'string') throw new GlovesError('CONFIG_INVALID', `http.listen: ${r}`);
    return r;
  }

  /** The URL it listens on, once started. */
  get url(): string | null {
    return this.bound?.url ?? null;
  }

  async start(): Promise<void> {
    const addr = this.listen;
    if (!addr) {
      this.log.info('http API off (http.listen: off)');
      return;
    }
    const token = readToken(this.config);
    const loopback = isLoopback(addr.host);
    if (!loopback && token === undefined)
      throw new GlovesError('HTTP_NO_TOKEN', `http.listen ${this.config.listen} is beyond loopback and no token is set: refusing to start`);
    const app = await this.build(token, loopback);
    this.app = app;
    try {
      await app.listen({ host: addr.host, port: addr.port });
    } catch (err) {
      this.app = null;
      await app.close().catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new GlovesError('HTTP_BIND', `cannot listen on ${this.config.listen}: ${code}`, { listen: this.config.listen }, { cause: err });
    }
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.bound = { address, url: `${this.config.tls ? 'https' : 'http'}://${host}:${address.port}` };
    this.log.info('http listening', { url: this.bound.url, token: token !== undefined, loopback });
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    this.bound = null;
    await app?.close();
  }

  private readTls(): { cert: Buffer; key: Buffer } | undefined {
    const tls = this.config.tls;
    if (!tls) return undefined;
    const read = (what: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new GlovesError('HTTP_TLS_FILE', `cannot read http.tls.${what} ${file}: ${code}`, { file });
      }
    };
    return { cert: read('cert', tls.cert), key: read('key', tls.key) };
  }

  private async build(token: string | undefined, loopback: boolean): Promise<FastifyInstance> {
    const limit = this.config.maxUploadBytes;
    const https = this.readTls();
    const app = Fastify({ logger: false, bodyLimit: limit, ...(https ? { https } : {}) }) as unknown as FastifyInstance;
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Gloves device API',
          version: this.deps.version,
          description: 'Identify pets, manage the gallery, watch the camera.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(multipart, { limits: { fileSize: limit, files: 20, fields: 10, parts: 30 }, throwFileSizeLimit: true });
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, ctx) =>
        new GlovesError('HTTP_RATE_LIMITED', `rate limit: at most ${ctx.max} requests per ${ctx.after}; retry later`),
    });
    app.addContentTypeParser(RAW_IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
    app.addHook('onRequest', async (req, reply) => {
      const access = req.routeOptions.config.access ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
      const denied = authorize(access, req.headers.authorization, token, loopback);
      if (denied) {
        if (denied.code === 'HTTP_UNAUTHORIZED') reply.header('WWW-Authenticate', 'Bearer');
        return sendError(reply, denied);
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      this.log.debug('request', { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
    });
    app.setErrorHandler((err, req, reply) => {
      const e = toHttpError(err);
      if (e.status >= 500) this.log.error(`${req.method} ${req.url} failed: ${e.message}`, { code: e.code });
      return sendError(reply, err);
    });
    app.setNotFoundHandler((req, reply) =>
      sendError(reply, new GlovesError('HTTP_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
    );
    const ctx: RouteContext = {
      deps: this.deps,
      config: this.config,
      rateLimit: { max: this.config.rateLimitPerMinute, timeWindow: 60_000 },
    };
    for (const group of ROUTE_GROUPS) await app.register(async (scope) => group(scope, ctx));
    app.get('/v1/openapi.json', { schema: { hide: true }, config: { access: 'read' } }, async () => app.swagger());
    await app.ready();
    return app;
  }
}

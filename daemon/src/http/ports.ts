/**
 * What the HTTP API needs from the running daemon, as interfaces: http/ sits below config/ and
 * runtime/, so it never imports the daemon; runtime/ implements these (runtime/http-services.ts)
 * and wiring.ts hands them to the server. A new route group adds its own port here.
 */

export type CheckStatus = 'ok' | 'failing';

export interface HealthCheck {
  status: CheckStatus;
  /** Why it is failing (or a short note when ok). */
  reason?: string;
}

/** The checks of GET /healthz, one per part. */
export interface HealthReport {
  camera: HealthCheck;
  inference: HealthCheck;
  mqtt: HealthCheck;
  disk: HealthCheck;
}

export interface HealthProbe {
  health(): Promise<HealthReport>;
}

/** A cumulative histogram: `count` of observations <= each bucket's upper bound `le`. */
export interface Histogram {
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** What GET /metrics exposes, read at each scrape. */
export interface MetricsSnapshot {
  frames: Record<string, number>;
  events: Record<string, number>;
  /** Seconds per pipeline stage (detect, embed, match, track). */
  stages: Record<string, Histogram>;
  outboxDepth: number;
  pets: number;
  visitors: number;
  build: { version: string; node: string; backend: string };
}

export interface MetricsSource {
  metrics(): MetricsSnapshot;
}

/** Everything the route groups use; one object built by the composition root. */
export interface HttpDeps {
  health: HealthProbe;
  metrics: MetricsSource;
  /** The daemon's version, for the OpenAPI document. */
  version: string;
}

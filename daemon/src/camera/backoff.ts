/** Capped exponential backoff for live-source reconnects. */
export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
}

/** Delay before reconnect attempt `attempt` (1-based): initial * 2^(attempt-1), capped at max. */
export function backoffDelay(attempt: number, cfg: BackoffConfig): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(cfg.maxMs, cfg.initialMs * 2 ** Math.min(n - 1, 30));
}

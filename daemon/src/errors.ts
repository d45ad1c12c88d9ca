/**
 * Typed errors with stable codes.
 *
 * Contract: callers branch on `err.code` (or `instanceof`), never on message text.
 * Messages are for humans and may change; codes are API and must not.
 */
export class GlovesError extends Error {
  /** Stable, SCREAMING_SNAKE identifier. */
  readonly code: string;
  /**
   * Optional structured context (paths, URIs, sizes) for logs and JSON output.
   * Not called `details`: uvu's reporter treats an error's `details` as a string.
   */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = details;
  }

  /**
   * `err` itself when it is a GlovesError, else one wrapping it with `code`
   * (default INTERNAL), its message, and the original as `cause`.
   */
  static from(err: unknown, code = 'INTERNAL'): GlovesError {
    if (err instanceof GlovesError) return err;
    const message = err instanceof Error ? err.message : typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err);
    return new GlovesError(code, message, {}, { cause: err });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.context };
  }
}

/** One or more config problems, each already formatted as `path: message`. */
export class ConfigError extends GlovesError {
  readonly problems: readonly string[];
  constructor(problems: string[], source: string) {
    super('CONFIG_INVALID', `invalid config (${source}):\n  ${problems.join('\n  ')}`, { source, problems });
    this.problems = problems;
  }
}

/** Bad command-line usage (unknown flag, missing argument). */
export class UsageError extends GlovesError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('USAGE', message, details);
  }
}

/** A model file or manifest that is missing, malformed, or fails its sha256 check. */
export class ModelError extends GlovesError {}

/** True when `err` is a GlovesError with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof GlovesError && err.code === code;
}

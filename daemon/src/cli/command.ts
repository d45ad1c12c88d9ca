/**
 * The shape of a `gloves` subcommand. Each lives in ./commands/<name>.ts and is
 * listed in ./registry.ts. `run` returns the process exit code; it throws a
 * GlovesError for expected failures, which main() prints as `error [CODE]: message`.
 */
import type { Logger } from '../log/logger.js';

export interface CommandContext {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Human-facing output (results). Logs go to `log`. */
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  log: Logger;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /**
   * A long-running service: when whoever reads its output goes away (EPIPE), it keeps running and drops the output,
   * rather than exiting as a one-shot command does (`gloves config show | head`).
   */
  service?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

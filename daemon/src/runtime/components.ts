/**
 * Ordered lifecycle of the daemon's components: start in order, stop in
 * reverse. A component that fails to start is reported by name, the ones
 * already started are stopped (reverse order), and the failure is rethrown
 * with its own code (COMPONENT_FAILED for untyped errors), the message prefixed
 * with the component's name and `details.component` set. A component
 * that fails to stop is reported and does not prevent the others from stopping.
 */
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class ComponentError extends GlovesError {}

export class Lifecycle {
  private readonly components: readonly Component[];
  private readonly log: Logger;
  private started: Component[] = [];

  constructor(components: readonly Component[], log: Logger) {
    this.components = components;
    this.log = log;
  }

  /** Names of the components that are running, in start order. */
  running(): string[] {
    return this.started.map((c) => c.name);
  }

  async start(): Promise<void> {
    for (const c of this.components) {
      const t0 = performance.now();
      try {
        await c.start();
      } catch (err) {
        const code = err instanceof GlovesError ? err.code : 'INTERNAL';
        const message = (err as Error).message ?? String(err);
        this.log.error(`component ${c.name} failed to start: ${message}`, { component: c.name, code });
        await this.stop();
        const details = err instanceof GlovesError ? err.context : {};
        throw new ComponentError(code === 'INTERNAL' ? 'COMPONENT_FAILED' : code, `${c.name}: ${message}`, { ...details, component: c.name }, { cause: err });
      }
      this.started.push(c);
      this.log.info(`started ${c.name}`, { ms: Math.round(performance.now() - t0) });
    }
  }

  /** Stops the started components in reverse order; returns the names that failed to stop. */
  async stop(): Promise<string[]> {
    const failed: string[] = [];
    while (this.started.length > 0) {
      const c = this.started.pop()!;
      try {
        await c.stop();
        this.log.debug(`stopped ${c.name}`);
      } catch (err) {
        failed.push(c.name);
        this.log.error(`component ${c.name} failed to stop`, { component: c.name, error: err as Error });
      }
    }
    return failed;
  }
}

/**
 * Ordered lifecycle of the daemon's components: start in order, stop in
 * reverse. A component that fails to start is reported by name, the ones
 * already started are stopped (reverse order), and the failure is rethrown
 * with its own code (COMPONENT_FAILED for untyped errors), the message prefixed
 * with the component's name and `details.component` set. A component
 * that fails to stop is reported and does not prevent the others from stopping.
 *
 * stop() may be called at any time, also while start() runs (a signal during
 * startup): it interrupts the component being started when that one can be
 * interrupted (its start() failing then is no failure), waits for it to settle, start() then
 * starts no further component and resolves false, and exactly the components
 * that did start are stopped, in reverse, once. Concurrent and repeated stop()
 * calls share that one stop.
 */
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Abandon a start() in progress (stop() came during it): start() then settles soon, resolved or
   * rejected, instead of after its own timeout (e.g. waiting 30 s for a broker that is down).
   */
  interrupt?(): void;
}

export class ComponentError extends GlovesError {}

export class Lifecycle {
  private readonly components: readonly Component[];
  private readonly log: Logger;
  private started: Component[] = [];
  private current: Component | null = null;
  /** A stop() arrived while `current` was starting and interrupted it. */
  private interrupted = false;
  private starting: Promise<boolean> | null = null;
  private stopRequested = false;
  private stopping: Promise<string[]> | null = null;

  constructor(components: readonly Component[], log: Logger) {
    this.components = components;
    this.log = log;
  }

  /** Names of the components that are running, in start order. */
  running(): string[] {
    return this.started.map((c) => c.name);
  }

  /** Starts every component in order; false when a stop() interrupted it. Call once. */
  start(): Promise<boolean> {
    if (this.starting) throw new GlovesError('INTERNAL', 'Lifecycle.start() called twice');
    this.starting = this.startAll();
    return this.starting;
  }

  private async startAll(): Promise<boolean> {
    for (const c of this.components) {
      if (this.stopRequested) {
        this.log.info(`stop requested during startup: ${c.name} and later components are not started`, { started: this.running() });
        return false;
      }
      const t0 = performance.now();
      this.current = c;
      try {
        await c.start();
      } catch (err) {
        this.current = null;
        if (this.interrupted) {
          // Interrupted by a stop(): not a failure; stop() stops the ones that did start.
          this.log.info(`stop requested while starting ${c.name}: start abandoned`, { started: this.running() });
          return false;
        }
        const e = GlovesError.from(err);
        const { code, message } = e;
        this.log.error(`component ${c.name} failed to start: ${message}`, { component: c.name, code });
        // A stop() already waiting for us stops the started ones itself once we settle.
        if (!this.stopRequested) {
          this.stopRequested = true;
          this.stopping = this.stopStarted();
          await this.stopping;
        }
        throw new ComponentError(
          code === 'INTERNAL' ? 'COMPONENT_FAILED' : code,
          `${c.name}: ${message}`,
          { ...e.context, component: c.name },
          { cause: err },
        );
      }
      this.current = null;
      this.started.push(c);
      // RSS after each component: what each one costs in memory, from the log alone.
      this.log.info(`started ${c.name}`, {
        ms: Math.round(performance.now() - t0),
        rssMB: Math.round(process.memoryUsage.rss() / 1e5) / 10,
      });
    }
    return !this.stopRequested;
  }

  /** Stops the started components in reverse order (after a running start() settled); returns the names that failed to stop. */
  stop(): Promise<string[]> {
    if (this.stopping) return this.stopping;
    this.stopRequested = true;
    if (this.current?.interrupt) {
      this.interrupted = true;
      this.current.interrupt();
    }
    const pending = this.starting;
    this.stopping = (async () => {
      if (pending) await pending.catch(() => undefined);
      return this.stopStarted();
    })();
    return this.stopping;
  }

  private async stopStarted(): Promise<string[]> {
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

/**
 * A tiny typed emitter. Unlike node:events, an 'error' with no listener is
 * not thrown: errors also surface through start(), next() and lastError.
 * A throwing listener is logged, never propagated into the pipeline callbacks.
 */
import type { Logger } from '../log/logger.js';
import type { FrameSourceEvent, FrameSourceEvents, Listener } from './types.js';

export class SourceEmitter {
  private readonly listeners = new Map<FrameSourceEvent, Set<(p: unknown) => void>>();
  constructor(private readonly log: Logger) {}

  on<E extends FrameSourceEvent>(event: E, fn: Listener<E>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (p: unknown) => void);
  }

  off<E extends FrameSourceEvent>(event: E, fn: Listener<E>): void {
    this.listeners.get(event)?.delete(fn as (p: unknown) => void);
  }

  emit<E extends FrameSourceEvent>(event: E, payload: FrameSourceEvents[E]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        fn(payload);
      } catch (err) {
        this.log.error(`camera '${event}' listener threw`, { err });
      }
    }
  }
}

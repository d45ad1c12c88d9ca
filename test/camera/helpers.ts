/** Shared bits for the camera tests. */
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { FrameSourceOptions } from '../../daemon/src/camera/index.js';

export const log = silentLogger();

export function opts(uri: string, over: Partial<FrameSourceOptions> = {}): FrameSourceOptions {
  return {
    uri,
    width: 160,
    height: 120,
    fps: 30,
    loop: false,
    slideshowFps: 20,
    reconnect: { initialMs: 100, maxMs: 400 },
    realtime: false,
    ...over,
  };
}

/** Rejects with a clear message instead of letting a hang eat the file's timeout. */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_r, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

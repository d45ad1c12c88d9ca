/**
 * Our own TypeScript view of gstreamer-superficial 1.7.4 (a NAN addon that
 * ships no types), loaded through createRequire because ESM cannot import a
 * `.node` main. Only what the camera uses is typed.
 *
 * Library users: each pending `pull` and `pollBus` holds a libuv pool thread.
 * Set UV_THREADPOOL_SIZE (16 is plenty) before anything uses the pool, i.e. at
 * the very top of the entry module or in the environment; cli/main.ts and
 * scripts/run-tests.mjs do. With the default 4, two sources starve fs and
 * inference.
 */
import { createRequire } from 'node:module';
import { CameraError } from './errors.js';

/** Flat object built from the sample's first caps structure. */
export interface GstCaps {
  name: string;
  format?: string;
  width?: number;
  height?: number;
  framerate?: string;
  [field: string]: unknown;
}

export interface GstBusMessage {
  /** e.g. 'eos', 'error', 'warning', 'state-changed', 'stream-start'. */
  type: string;
  /** Present on 'error' messages. */
  message?: string;
  /** Path of the element that posted an error. */
  name?: string;
  _src_element_name?: string;
  [field: string]: unknown;
}

export interface GstAppSink {
  /** One sample per call; `buf` is a copy; `null` at EOS, after stop, or when the sink never started. */
  pull(cb: (buf: Buffer | null, caps: GstCaps) => void): void;
  readonly eos?: boolean;
}

export interface GstPipeline {
  play(): void;
  pause(): void;
  /** Sets NULL state. Must be called before the process can exit. */
  stop(): void;
  /** Seek to `seconds` (int32) with GstSeekFlags. */
  seek(seconds: number, flags: number): boolean;
  findChild(name: string): unknown;
  /** Calls back for every bus message until the pipeline is in NULL state when a message arrives. */
  pollBus(cb: (msg: GstBusMessage) => void): void;
  'auto-flush-bus': boolean;
}

export interface GstModule {
  Pipeline: new (launch: string) => GstPipeline;
}

export const SEEK_FLUSH = 1;
export const SEEK_KEY_UNIT = 4;

let cached: GstModule | undefined;

export function loadGst(): GstModule {
  if (cached) return cached;
  try {
    const req = createRequire(import.meta.url);
    cached = req('gstreamer-superficial') as GstModule;
    return cached;
  } catch (err) {
    throw new CameraError(
      'SOURCE_UNSUPPORTED',
      `cannot load gstreamer-superficial (run scripts/setup.sh): ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}

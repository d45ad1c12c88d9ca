/**
 * Public camera API. See ./types.ts for the FrameSource contract.
 *
 *   import { createFrameSource } from '../camera/index.js';
 *   const src = createFrameSource(config.camera, { log });
 *
 * Set UV_THREADPOOL_SIZE=16 (or more) before anything uses the libuv pool in a
 * process that opens GStreamer sources (see ./gst.ts); cli/main.ts does.
 * On shutdown call `await src.stop()` for every source, then
 * `drainCameraPipelines()` so that parked file pipelines do not delay exit.
 */
import type { Logger } from '../log/logger.js';
import { SourceEmitter } from './emitter.js';
import { CameraError } from './errors.js';
import type { Frame } from './frame.js';
import { GstFrameSource } from './gst-source.js';
import { ProcessFrameSource } from './process-source.js';
import type { GstModule } from './gst.js';
import { buildPipeline } from './pipeline.js';
import { detectPlatform, type Platform } from './platform.js';
import { defaultPool, type PipelinePool } from './pool.js';
import { checkDevice, resolveFileTarget } from './resolve.js';
import { SlideshowSource } from './slideshow.js';
import type { FrameSource, FrameSourceEvent, FrameSourceOptions, FrameSourceStats, Listener } from './types.js';
import { isLive, parseSourceUri, type SourceSpec } from './uri.js';

export { CameraError, type CameraErrorCode } from './errors.js';
export type { Frame } from './frame.js';
export type {
  FrameSource,
  FrameSourceOptions,
  FrameSourceStats,
  FrameSourceEvents,
  FrameSourceEvent,
  SourceState,
  CameraConfig,
} from './types.js';
export { parseSourceUri, isLive, TEST_PATTERNS, type SourceSpec, type SourceKind } from './uri.js';
export { buildPipeline, validateLaunch, type OutputSpec } from './pipeline.js';
export { detectPlatform, GENERIC_PLATFORM, JETSON_PLATFORM, type Platform } from './platform.js';
export { drainCameraPipelines } from './pool.js';
export { backoffDelay } from './backoff.js';

export interface FrameSourceDeps {
  log: Logger;
  /** Defaults to detectPlatform(). */
  platform?: Platform;
  /** Test seams. */
  pool?: PipelinePool;
  gst?: () => GstModule;
}

type Inner = GstFrameSource | SlideshowSource | ProcessFrameSource;

let warnedThreadpool = false;

/** Each pending pull and bus poll holds a libuv pool thread; the default 4 starves fs and inference. */
function warnThreadpool(log: Logger): void {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  if (warnedThreadpool || size >= 8) return;
  warnedThreadpool = true;
  log.warn(
    'UV_THREADPOOL_SIZE is below 8: camera pulls can starve file and inference work; set UV_THREADPOOL_SIZE=16 before starting node',
    { size },
  );
}

/**
 * Validates the URI now (throws CameraError URI_INVALID); everything that
 * touches files, devices or GStreamer happens in start().
 */
export function createFrameSource(options: FrameSourceOptions, deps: FrameSourceDeps): FrameSource {
  const spec = parseSourceUri(options.uri);
  return new CameraSource(spec, options, deps);
}

class CameraSource implements FrameSource {
  private inner: Inner | null = null;
  private readonly emitter: SourceEmitter;
  private stopped = false;

  constructor(
    private readonly spec: SourceSpec,
    private readonly opts: FrameSourceOptions,
    private readonly deps: FrameSourceDeps,
  ) {
    this.emitter = new SourceEmitter(deps.log);
  }

  get uri(): string {
    return this.opts.uri;
  }

  get lastError(): CameraError | null {
    return this.inner?.lastError ?? null;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.inner ??= this.build();
    await this.inner.start();
  }

  next(): Promise<Frame | null> {
    return this.inner ? this.inner.next() : Promise.resolve(null);
  }

  stats(): FrameSourceStats {
    if (this.inner) return this.inner.stats();
    const state = this.stopped ? 'stopped' : 'idle';
    return {
      state,
      frames: 0,
      delivered: 0,
      dropped: 0,
      fps: 0,
      loops: 0,
      reconnects: 0,
      skipped: 0,
      width: this.opts.width,
      height: this.opts.height,
    };
  }

  on<E extends FrameSourceEvent>(event: E, listener: Listener<E>): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends FrameSourceEvent>(event: E, listener: Listener<E>): this {
    this.emitter.off(event, listener);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner?.stop();
  }

  private build(): Inner {
    const o = this.opts;
    const log = this.deps.log;
    const realtime = o.realtime ?? true;
    let source = this.spec;
    if (source.kind === 'file') {
      const target = resolveFileTarget(source.path);
      if (target.kind === 'slideshow') {
        return new SlideshowSource(
          { files: target.files, width: o.width, height: o.height, fps: o.slideshowFps, loop: o.loop, realtime },
          this.emitter,
          log,
        );
      }
      source = { kind: 'file', path: target.path };
    }
    if (source.kind === 'v4l2') checkDevice(source.device);
    const spec = source;
    const platform = this.deps.platform ?? detectPlatform();
    const startTimeoutMs = o.startTimeoutMs ?? (spec.kind === 'rtsp' ? 20000 : 10000);
    const stallTimeoutMs = o.stallTimeoutMs ?? 10000;
    // An injected GStreamer module (tests, the fake Jetson) keeps the in-process path it stands in for.
    if (isLive(spec) && !this.deps.gst) {
      // Live cameras run in a child process: a dead one can never block this thread (./process-source.ts).
      const launch = buildPipeline(spec, { width: o.width, height: o.height, fps: o.fps, realtime, sink: 'fdsink' }, platform);
      log.debug('camera pipeline (child process)', { uri: o.uri, launch });
      return new ProcessFrameSource(
        { kind: spec.kind, launch, width: o.width, height: o.height, reconnect: o.reconnect, startTimeoutMs, stallTimeoutMs },
        this.emitter,
        log,
      );
    }
    warnThreadpool(log);
    const launch = buildPipeline(source, { width: o.width, height: o.height, fps: o.fps, realtime }, platform);
    log.debug('camera pipeline', { uri: o.uri, launch });
    return new GstFrameSource(
      {
        kind: spec.kind,
        launch,
        width: o.width,
        height: o.height,
        loop: o.loop,
        live: isLive(spec),
        pullOnDemand: spec.kind === 'file' && !realtime,
        reconnect: o.reconnect,
        startTimeoutMs,
        stallTimeoutMs,
      },
      this.emitter,
      log,
      this.deps.pool ?? defaultPool,
      this.deps.gst,
    );
  }
}

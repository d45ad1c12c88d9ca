/**
 * The recognition component of the daemon: built up front without I/O, its
 * models and gallery loaded in start(). The frame processor reads the parts
 * through the getters, which fail loudly if used before start().
 *
 * It is also the one holder of the active models for a hot swap: the model
 * manager selects a bundle's models before start(), opens candidates beside
 * the running ones (openCandidate) and swaps one in (swap). The frame
 * processor reads the parts once per frame, so a swap lands between frames.
 */
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import type { InferenceBackend } from '../inference/backend.js';
import { createBackend } from '../inference/select.js';
import type { Logger } from '../log/logger.js';
import {
  openRecognizer,
  type Detector,
  type Gallery,
  type GalleryMatcher,
  type LocalBackgroundOptions,
  type PopulationStats,
  type RegionEmbedder,
  type ModelFiles,
  type Recognizer,
} from '../recognition/index.js';

/** Which models to run: a bundle's files (either task may be missing: the configured one then) and statistics. */
export interface ModelSource {
  files: ModelFiles;
  statsDir?: string;
}
import type { SystemdNotifier } from '../systemd/notify.js';

/** A swap disposes the old models this long after: the frame in flight still holds them. */
export const DISPOSE_AFTER_MS = 2_000;

export class RecognitionService {
  private readonly config: GlovesConfig;
  private readonly log: Logger;
  private readonly notifier: SystemdNotifier;
  private readonly background: LocalBackgroundOptions | undefined;
  private opened: Recognizer | null = null;
  private backend: InferenceBackend | null = null;
  private source: ModelSource = { files: {} };
  /**
   * Models swapped out and not disposed yet, with their dispose timers: stop() disposes them at once (with
   * inference.detectorWorker each holds a worker thread, which a stop inside the delay would otherwise leave).
   */
  private readonly retired = new Map<Recognizer, NodeJS.Timeout>();
  /** The inference backend's name once started (for metrics). */
  backendName: string | null = null;

  /** `background`: the matcher's local background (frequent visitors), for every recognizer opened. */
  constructor(config: GlovesConfig, log: Logger, notifier: SystemdNotifier, background?: LocalBackgroundOptions) {
    this.config = config;
    this.log = log;
    this.notifier = notifier;
    this.background = background;
  }

  async start(): Promise<void> {
    // Engine builds before READY=1 take minutes on a Jetson: keep the start job alive.
    const backend = createBackend(this.config.inference, this.log, this.notifier.buildHeartbeat());
    this.backend = backend;
    // An empty gallery is fine: pets can be enrolled while the daemon runs (CLI or HTTP API).
    this.opened = await openRecognizer({
      config: this.config,
      log: this.log,
      backend,
      gallery: { create: true },
      detectorWorker: this.config.inference.detectorWorker,
      ...this.source,
      ...this.bg(),
    });
    this.backendName = backend.name;
    const pets = this.opened.gallery.pets();
    if (pets.length === 0) this.log.warn('the gallery has no pets: every animal will be unknown', { gallery: this.config.gallery.dir });
    this.log.info('models and gallery loaded', {
      backend: backend.name,
      detectorWorker: this.config.inference.detectorWorker,
      pets: pets.map((p) => p.name),
    });
  }

  async stop(): Promise<void> {
    const all = [...this.retired.keys()];
    for (const t of this.retired.values()) clearTimeout(t);
    this.retired.clear();
    if (this.opened) all.push(this.opened);
    this.opened = null;
    const results = await Promise.allSettled(all.map((r) => r.dispose()));
    for (const res of results) if (res.status === 'rejected') this.log.warn('disposing models failed', { error: res.reason as Error });
  }

  /** Before start(): run these models instead of the configured ones. */
  select(source: ModelSource): void {
    this.source = source;
  }

  /**
   * Loads `source`'s models beside the running ones, on the same backend, with its own view of the gallery
   * (opened even when the gallery was embedded by another embedder: the caller re-embeds before it swaps).
   */
  async openCandidate(source: ModelSource): Promise<Recognizer> {
    if (!this.backend || !this.opened) throw new GlovesError('INTERNAL', 'recognition used before it was started');
    return openRecognizer({
      config: this.config,
      log: this.log,
      backend: this.backend,
      gallery: { create: true, allowModelMismatch: true },
      detectorWorker: this.config.inference.detectorWorker,
      ...source,
      ...this.bg(),
    });
  }

  private bg(): { background?: LocalBackgroundOptions } {
    return this.background ? { background: this.background } : {};
  }

  /** Makes `next` the active models at once; the previous ones are disposed DISPOSE_AFTER_MS later, or at stop(). */
  swap(next: Recognizer, source: ModelSource): void {
    const old = this.parts;
    this.opened = next;
    this.source = source;
    const timer = setTimeout(() => {
      this.retired.delete(old);
      old.dispose().catch((e: unknown) => this.log.warn('disposing the old models failed', { error: e as Error }));
    }, DISPOSE_AFTER_MS);
    timer.unref();
    this.retired.set(old, timer);
  }

  /** Whether the models and gallery are loaded. */
  get started(): boolean {
    return this.opened !== null;
  }

  private get parts(): Recognizer {
    if (!this.opened) throw new GlovesError('INTERNAL', 'recognition used before it was started');
    return this.opened;
  }

  get detector(): Detector {
    return this.parts.detector;
  }

  get embedder(): RegionEmbedder {
    return this.parts.embedder;
  }

  get matcher(): GalleryMatcher {
    return this.parts.matcher;
  }

  /** The population statistics of the matcher (undefined: raw cosine). */
  get stats(): PopulationStats | undefined {
    return this.parts.stats;
  }

  get gallery(): Gallery {
    return this.parts.gallery;
  }
}

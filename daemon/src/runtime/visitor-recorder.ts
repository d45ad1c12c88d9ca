/**
 * The daemon's side of visitors (presence/visitors.ts): feeds the book each
 * frame's unnamed tracks, names the unknown sightings' visitors before presence
 * sees them (so `unknown_seen` carries the id and a new id makes `new_visitor`),
 * keeps the best crops (JPEG encoding off the frame loop), and stores the book
 * next to the gallery (presence/visitor-store.ts). A visitor forgotten or named
 * by the CLI while the daemon runs is dropped here at the next write.
 *
 * It is also the matcher's local background (LocalBackgroundSource): the kept embeddings
 * of every visitor seen on at least `backgroundAfter` tracks, in its embedder's space.
 *
 * Storage errors are logged, never fatal: visitors are a convenience, the frame
 * loop and the events go on.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log/logger.js';
import type { LocalBackgroundSource, RegionEmbedder } from '../recognition/index.js';
import { decodeImage } from '../vision/decode.js';
import { VisitorBook } from '../presence/visitors.js';
import type { VisitorStore } from '../presence/visitor-store.js';
import type { UnknownSighting } from '../presence/types.js';
import type { RgbImage } from '../vision/image.js';
import { cropJpeg } from './snapshot.js';

export interface VisitorRecorderOptions {
  enabled: boolean;
  threshold: number;
  maxVisitors: number;
  maxCrops: number;
  /** A visitor seen on at least this many tracks is local background for the matcher. */
  backgroundAfter: number;
  /** lastSeen changes alone are written at most this often. */
  saveEveryMs?: number;
  /** A visitor gets at most one crop candidate per this many ms. */
  cropEveryMs?: number;
}

const NO_GROUPS: readonly (readonly Float32Array[])[] = [];

export class VisitorRecorder implements LocalBackgroundSource {
  private readonly store: VisitorStore;
  private readonly opts: VisitorRecorderOptions;
  private readonly log: Logger;
  private book: VisitorBook | null = null;
  private dirty = false;
  private lastSaveMs = Number.NEGATIVE_INFINITY;
  private readonly lastCropMs = new Map<string, number>();
  private readonly busy = new Set<string>();
  /** The embedder the book's embeddings belong to. */
  private modelId = '';
  /** The background groups handed out last, and what they were built from (the same array while unchanged). */
  private background: { book: VisitorBook | null; revision: number; groups: Float32Array[][] } = { book: null, revision: -1, groups: [] };

  constructor(store: VisitorStore, opts: VisitorRecorderOptions, log: Logger) {
    this.store = store;
    this.opts = opts;
    this.log = log;
  }

  /** Loads the stored visitors (after the models: their embedder and population transform). */
  start(embedderModelId: string, transform: (e: Float32Array) => Float32Array): void {
    if (!this.opts.enabled) return;
    let state;
    try {
      state = this.store.load({ embedderModelId });
    } catch (err) {
      this.log.error('cannot read the visitors file; starting with no visitors', { file: this.store.path, error: err as Error });
      state = undefined;
    }
    const { threshold, maxVisitors, maxCrops } = this.opts;
    this.book = new VisitorBook({ threshold, maxVisitors, maxCrops, transform }, state);
    this.modelId = embedderModelId;
    this.log.info('visitors loaded', { visitors: this.book.list().length, file: this.store.path });
  }

  get visitors(): VisitorBook | null {
    return this.book;
  }

  /** The matcher's local background: frequent visitors' embeddings (none for another embedder's matcher). */
  groups(embedderModelId: string): readonly (readonly Float32Array[])[] {
    const book = this.book;
    if (!book || embedderModelId !== this.modelId) return NO_GROUPS;
    const b = this.background;
    if (b.book !== book || b.revision !== book.revision)
      this.background = { book, revision: book.revision, groups: book.backgroundGroups(this.opts.backgroundAfter) };
    return this.background.groups;
  }

  /** Before presence: records unnamed tracks and sets `visitor`/`newVisitor` on each unknown sighting. */
  annotate(unknowns: UnknownSighting[], unnamed: ReadonlyMap<number, Float32Array>, nowMs: number, ts: string): void {
    const book = this.book;
    if (!book) return;
    for (const [track, e] of unnamed) book.observe(track, e, nowMs);
    let assigned = false;
    for (const u of unknowns) {
      const id = book.identify(u.track, ts);
      u.visitor = id.visitor;
      if (id.isNew) {
        u.newVisitor = true;
        this.log.info(`new visitor ${id.visitor}`, { track: u.track });
      }
      if (id.evicted) {
        this.log.info(`forgot visitor ${id.evicted.id} (least recently seen) to make room`, { visitor: id.evicted.id });
        this.tryRun('delete an evicted visitor', () => this.store.deleteVisitor(id.evicted!.id));
      }
      if (id.assigned) assigned = true;
      this.dirty = true;
    }
    if (assigned || (this.dirty && nowMs - this.lastSaveMs >= (this.opts.saveEveryMs ?? 30_000))) this.save(nowMs);
  }

  /** After presence: keeps a crop of a visitor when it is a new or better view (never blocks the frame loop). */
  crops(image: RgbImage, unknowns: readonly UnknownSighting[], nowMs: number): void {
    const book = this.book;
    if (!book) return;
    for (const u of unknowns) {
      const id = u.visitor;
      if (!id || !u.embedding || this.busy.has(id)) continue;
      if (nowMs - (this.lastCropMs.get(id) ?? Number.NEGATIVE_INFINITY) < (this.opts.cropEveryMs ?? 1000)) continue;
      const quality = Math.min(u.box[2] - u.box[0], u.box[3] - u.box[1]);
      if (!book.wantsCrop(id, quality, u.embedding)) continue;
      this.lastCropMs.set(id, nowMs);
      this.busy.add(id);
      const embedding = u.embedding;
      cropJpeg(image, u.box, 0.1, 90)
        .then((jpeg) => {
          if (!book.get(id)) return;
          const file = this.store.writeCrop(id, jpeg);
          const dropped = book.addCrop(id, { file, quality, embedding });
          this.save(nowMs);
          for (const c of dropped) this.store.deleteCrop(id, c.file);
        })
        .catch((err: unknown) => this.log.warn('cannot keep a visitor crop', { visitor: id, error: err as Error }))
        .finally(() => this.busy.delete(id));
    }
  }

  /** Forgets a visitor (named as a pet, or dismissed): index first, then its crops. False when unknown. */
  forget(id: string): boolean {
    const book = this.book;
    if (!book?.remove(id)) return false;
    this.save();
    this.store.deleteVisitor(id);
    return true;
  }

  /**
   * The embedder changed (a model swap): every kept crop is embedded again with `embedder`, so the visitors carry
   * on in the new embedding space. A crop that cannot be read is dropped, and a visitor left without crops with it.
   */
  async reembed(embedder: RegionEmbedder, transform: (e: Float32Array) => Float32Array): Promise<number> {
    const book = this.book;
    if (!book) return 0;
    const state = book.snapshot();
    let n = 0;
    for (const v of state.visitors) {
      const kept = [];
      for (const c of v.crops) {
        try {
          const img = await decodeImage(await readFile(this.store.cropPath(v.id, c.file)), c.file);
          const [e] = await embedder.embedRegions(img, [{ x: 0, y: 0, width: img.width, height: img.height }]);
          kept.push({ ...c, embedding: e! });
          n++;
        } catch (err) {
          this.log.warn('a visitor crop could not be re-embedded; dropped', { visitor: v.id, crop: c.file, error: err as Error });
        }
      }
      v.crops = kept;
    }
    state.visitors = state.visitors.filter((v) => v.crops.length > 0);
    const { threshold, maxVisitors, maxCrops } = this.opts;
    this.book = new VisitorBook({ threshold, maxVisitors, maxCrops, transform }, state);
    this.modelId = embedder.modelId;
    this.tryRun('write the visitors file', () => this.store.saveAs(state, embedder.modelId));
    this.log.info(`re-embedded ${n} visitor crop(s) with ${embedder.modelId}`, { visitors: state.visitors.length });
    return n;
  }

  /** Absolute path of one of a visitor's crops. */
  cropPath(id: string, file: string): string {
    return this.store.cropPath(id, file);
  }

  /** Writes the book now (at stop, and after every assignment or kept crop). */
  save(nowMs = performance.now()): void {
    const book = this.book;
    if (!book) return;
    this.tryRun('write the visitors file', () => {
      if (this.store.changedOnDisk()) {
        const gone = book.adoptRemovals(this.store.load({ strict: true }));
        if (gone.length > 0) this.log.info('visitors named or forgotten by the CLI', { visitors: gone });
      }
      this.store.save(book.snapshot());
      this.dirty = false;
      this.lastSaveMs = nowMs;
    });
  }

  private tryRun(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`cannot ${what}`, { file: this.store.path, error: err as Error });
    }
  }
}

/**
 * Visitors on disk, next to the gallery:
 *   <gallery>/visitors/visitors.json          ids, sightings, crops (with base64 float32 embeddings)
 *   <gallery>/visitors/<visitor-id>/<hex>.jpg the kept crops
 *
 * Every write is atomic (util/atomic-file.ts): a crop is written before the index
 * that names it, so a crash leaves the previous index intact (at worst with an
 * orphan crop). A torn or corrupt index is moved aside (never deleted) with an
 * error log, and the daemon goes on with no visitors; the CLI (`strict`) refuses
 * it instead (VISITORS_CORRUPT). An index written for another embedder is set
 * aside the same way: its embeddings do not compare with the new ones.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { GlovesError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { formatIssues } from '../util/zod-issues.js';
import type { VisitorsState } from './visitors.js';

export const VISITORS_DIR = 'visitors';
const FILE = 'visitors.json';
const ID_RE = /^visitor-[1-9][0-9]{0,9}$/;

const cropSchema = z.strictObject({
  file: z.string().regex(/^[a-f0-9]{16}\.jpg$/),
  quality: z.number(),
  embedding: z.string().min(1),
});
const fileSchema = z.strictObject({
  format: z.literal('gloves-visitors'),
  version: z.literal(1),
  embedderModelId: z.string(),
  next: z.number().int().min(1),
  visitors: z.array(
    z.strictObject({
      id: z.string().regex(ID_RE),
      firstSeen: z.string(),
      lastSeen: z.string(),
      sightings: z.number().int().min(0),
      crops: z.array(cropSchema),
    }),
  ),
});

function encode(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.length === 0 || b.length % 4 !== 0) throw new Error('malformed embedding');
  const v = new Float32Array(b.length / 4);
  new Uint8Array(v.buffer).set(b);
  if (!v.every(Number.isFinite)) throw new Error('non-finite embedding');
  return v;
}

export class VisitorStore {
  readonly dir: string;
  readonly path: string;
  private readonly log: Logger;
  /** The embedder of the visitors' embeddings: given to load() (the daemon), or read from the file (the CLI). */
  private embedderModelId = '';
  private lastMtimeMs = -1;

  constructor(galleryDir: string, log: Logger) {
    this.dir = join(galleryDir, VISITORS_DIR);
    this.path = join(this.dir, FILE);
    this.log = log;
  }

  /**
   * The stored visitors; an unreadable index, or one of another embedder, is set aside
   * (or, `strict`, refused). `embedderModelId` '' accepts the file's embedder.
   */
  load(opts: { embedderModelId?: string; strict?: boolean } = {}): VisitorsState {
    if (opts.embedderModelId) this.embedderModelId = opts.embedderModelId;
    const empty: VisitorsState = { next: 1, visitors: [] };
    if (!existsSync(this.path)) return empty;
    let reason: string;
    try {
      const res = fileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (res.success) {
        if (res.data.embedderModelId !== this.embedderModelId && this.embedderModelId !== '') {
          reason = `written for embedder ${res.data.embedderModelId}, the embedder is ${this.embedderModelId}`;
        } else {
          const state: VisitorsState = {
            next: res.data.next,
            visitors: res.data.visitors.map((v) => ({ ...v, crops: v.crops.map((c) => ({ ...c, embedding: decode(c.embedding) })) })),
          };
          this.embedderModelId = res.data.embedderModelId;
          this.lastMtimeMs = statSync(this.path).mtimeMs;
          return state;
        }
      } else {
        reason = formatIssues(res.error.issues).join('; ');
      }
    } catch (err) {
      reason = (err as Error).message;
    }
    if (opts.strict)
      throw new GlovesError('VISITORS_CORRUPT', `visitors file ${this.path} is unusable: ${reason}`, { file: this.path, reason });
    const aside = `${this.path}.corrupt-${Date.now()}`;
    renameSync(this.path, aside);
    this.log.error('visitors file is unusable; moved it aside and starting with no visitors', { file: this.path, movedTo: aside, reason });
    return empty;
  }

  /** Whether another process rewrote the index since this store last read or wrote it. */
  changedOnDisk(): boolean {
    try {
      return statSync(this.path).mtimeMs !== this.lastMtimeMs;
    } catch {
      return false;
    }
  }

  save(state: VisitorsState): void {
    const doc: z.input<typeof fileSchema> = {
      format: 'gloves-visitors',
      version: 1,
      embedderModelId: this.embedderModelId,
      next: state.next,
      visitors: state.visitors.map((v) => ({ ...v, crops: v.crops.map((c) => ({ ...c, embedding: encode(c.embedding) })) })),
    };
    writeFileAtomic(this.path, JSON.stringify(doc) + '\n');
    this.lastMtimeMs = statSync(this.path).mtimeMs;
  }

  /** After a re-embedding: `state`'s embeddings are `embedderModelId`'s from now on. */
  saveAs(state: VisitorsState, embedderModelId: string): void {
    this.embedderModelId = embedderModelId;
    this.save(state);
  }

  /** Writes a crop JPEG of `visitor`; returns its file name (for VisitorCrop.file). */
  writeCrop(visitor: string, jpeg: Uint8Array): string {
    const file = `${randomBytes(8).toString('hex')}.jpg`;
    writeFileAtomic(this.cropPath(visitor, file), jpeg);
    return file;
  }

  cropPath(visitor: string, file: string): string {
    return join(this.dir, visitor, file);
  }

  /** Best effort: a leftover crop is harmless (nothing names it). */
  deleteCrop(visitor: string, file: string): void {
    rmSync(this.cropPath(visitor, file), { force: true });
  }

  deleteVisitor(visitor: string): void {
    if (!ID_RE.test(visitor)) return;
    rmSync(join(this.dir, visitor), { recursive: true, force: true });
  }
}

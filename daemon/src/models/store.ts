/**
 * The device's model versions: verified bundles kept under `<stateDir>/models/versions/<id>/`, and `state.json`,
 * which says which one is active, which was active before it (the rollback target) and whether the active one is
 * still on probation. `null` as a version means the built-in models (the `models` config section).
 *
 * The store is mechanism only: what to activate and when to roll back is the model manager's (runtime/). Every
 * write of state.json is atomic, so a crash leaves the old or the new state, never a torn one.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { BUNDLE_FILE, parseBundleDoc, type BundleDoc, type VerifiedBundle } from './bundle.js';

const VERSION_RE = /^[0-9a-f]{12}$/;

const probationSchema = z.strictObject({
  version: z.string().nullable(),
  /** ISO time the probation ends. */
  until: z.string(),
  /** The process that swapped the version in; another pid with cleanStop false means that process died. */
  pid: z.number().int(),
  /** Set when the daemon stopped cleanly during probation: the next start continues the probation. */
  cleanStop: z.boolean(),
});

const stateSchema = z.strictObject({
  active: z.string().nullable(),
  previous: z.string().nullable(),
  probation: probationSchema.nullable(),
  /** The last transitions, newest last (at most 20), for `gloves models list` and the API. */
  history: z.array(z.strictObject({ at: z.string(), version: z.string().nullable(), why: z.string() })),
});

export type ModelStoreState = z.output<typeof stateSchema>;
export type Probation = z.output<typeof probationSchema>;

export interface StoredVersion {
  id: string;
  name: string;
  createdAt: string;
  embedderId: string;
  tasks: ('detector' | 'embedder')[];
  source: BundleDoc['source'];
}

const EMPTY: ModelStoreState = { active: null, previous: null, probation: null, history: [] };
const HISTORY = 20;

export class ModelStore {
  readonly dir: string;
  /** Parsed bundle.json per version id: a stored version never changes (add() renames it in whole), so it is read once. */
  private readonly parsed = new Map<string, StoredVersion>();

  constructor(dir: string) {
    this.dir = dir;
  }

  private get statePath(): string {
    return join(this.dir, 'state.json');
  }

  versionDir(id: string): string {
    if (!VERSION_RE.test(id)) throw new ModelError('MODEL_VERSION_NOT_FOUND', `${JSON.stringify(id)} is not a model version id (12 hex digits)`);
    return join(this.dir, 'versions', id);
  }

  has(id: string): boolean {
    return VERSION_RE.test(id) && existsSync(join(this.versionDir(id), BUNDLE_FILE));
  }

  /** The state on disk; none yet is the built-in models. A corrupt file is an error naming it (never silently reset). */
  read(): ModelStoreState {
    if (!existsSync(this.statePath)) return structuredClone(EMPTY);
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(this.statePath, 'utf8'));
    } catch (err) {
      throw new ModelError('BUNDLE_INVALID', `${this.statePath} is not valid JSON: ${(err as Error).message}`, { path: this.statePath });
    }
    const r = stateSchema.safeParse(obj);
    if (!r.success) throw new ModelError('BUNDLE_INVALID', `${this.statePath} is not a model store state`, { path: this.statePath });
    return r.data;
  }

  write(state: ModelStoreState): void {
    writeFileAtomic(this.statePath, `${JSON.stringify({ ...state, history: state.history.slice(-HISTORY) }, null, 2)}\n`);
  }

  /** Records a transition in `state` (not written: the caller writes once). */
  static note(state: ModelStoreState, version: string | null, why: string, at = new Date()): void {
    state.history.push({ at: at.toISOString(), version, why });
  }

  /** Keeps a verified bundle as version `id` (a copy, made whole before it appears). Idempotent. */
  add(bundle: VerifiedBundle, id: string): void {
    const dest = this.versionDir(id);
    if (this.has(id)) return;
    const tmp = join(this.dir, 'versions', `.incoming-${id}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(this.dir, 'versions'), { recursive: true });
    cpSync(bundle.dir, tmp, { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  }

  /** Every stored version, oldest first. A version whose bundle.json no longer parses is left out. */
  versions(): StoredVersion[] {
    const root = join(this.dir, 'versions');
    if (!existsSync(root)) return [];
    const out: StoredVersion[] = [];
    for (const id of readdirSync(root).filter((f) => VERSION_RE.test(f))) {
      const known = this.parsed.get(id);
      if (known) {
        out.push(known);
        continue;
      }
      try {
        const path = join(root, id, BUNDLE_FILE);
        const doc = parseBundleDoc(JSON.parse(readFileSync(path, 'utf8')), path);
        const tasks = doc.models.map((m) => m.task);
        const { name, createdAt, embedderId, source } = doc;
        const version: StoredVersion = { id, name, createdAt, embedderId, tasks, source };
        this.parsed.set(id, version);
        out.push(version);
      } catch {
        // Not a whole bundle (removed by hand?): not offered.
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

/**
 * Model versions on a running device: install a pushed bundle, activate a version, roll back, and the probation
 * after every swap. The steps for a new version, in order (issue 13):
 *   verify (signature by a trusted key, every sha256) -> keep it in the store -> load its models beside the running
 *   ones -> smoke test on the bundle's reference frame -> re-embed the gallery when the embedder changes -> swap
 *   between frames (RecognitionService) -> persist and publish the active version -> probation.
 * A failed step leaves the running models untouched. During probation a stalled frame loop rolls back at once; a
 * crash (the process gone without a clean stop) rolls back at the next start, before any model is loaded.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { GlovesError, ModelError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { parseBundleDoc, verifyBundleDir, versionId, type BundleDoc, type VerifiedBundle } from '../models/bundle.js';
import { parseManifest } from '../models/manifest.js';
import { unpackBundle } from '../models/bundle-archive.js';
import { readPublicKey, type PublicKey } from '../models/bundle-sign.js';
import type { ModelsConfig } from '../models/config.js';
import { ModelStore, type ModelStoreState, type StoredVersion } from '../models/store.js';
import { checkReference, computeReference, type Recognizer, type RegionEmbedder } from '../recognition/index.js';
import { reembedGallery } from '../recognition/gallery/enroll.js';
import { decodeImageFile } from '../vision/decode.js';
import type { ModelSource, RecognitionService } from './recognition-service.js';

/** What the manager tells the house: the active version (retained) and each rejection or rollback (an event). */
export interface ModelNotices {
  active(state: ModelStatus): void;
  event(e: {
    type: 'installed' | 'rejected' | 'rollback' | 'probation-passed';
    version: string | null;
    reason?: string;
    code?: string;
  }): void;
}

export interface ModelStatus {
  active: string | null;
  name: string;
  previous: string | null;
  probation_until: string | null;
  embedder: string;
}

export interface ModelManagerParts {
  recognition: RecognitionService;
  store: ModelStore;
  notices: ModelNotices;
  /** Frames the loop has finished so far (a stall is this not moving). */
  framesDone(): number;
  /** Whether the camera is delivering frames now (a stall only counts while it is). */
  cameraDelivering(): boolean;
  /** The embedder changed (after the swap): the visitors' crops are embedded again. */
  reembedVisitors(embedder: RegionEmbedder): Promise<number>;
  /** The device's detection threshold, to compare reference detections fairly. */
  minScore: number;
}

export class ModelManager {
  private readonly p: ModelManagerParts;
  private readonly config: ModelsConfig;
  private readonly log: Logger;
  private trusted: PublicKey[] = [];
  private busy = false;
  private monitor: NodeJS.Timeout | null = null;
  private bootNotice: string | null = null;

  constructor(parts: ModelManagerParts, config: ModelsConfig, log: Logger) {
    this.p = parts;
    this.config = config;
    this.log = log;
  }

  /** Before recognition starts: rolls back a version whose probation a crash ended, then selects the active version's models. */
  boot(): void {
    this.trusted = this.config.trustedKeys.map((f) => readPublicKey(f));
    const { store } = this.p;
    const state = store.read();
    const pr = state.probation;
    if (pr && !pr.cleanStop && pr.pid !== process.pid) {
      const why = `version ${pr.version ?? 'built-in'} was on probation and the daemon stopped without a clean stop (crash, kill or stall): rolled back to ${state.previous ?? 'the built-in models'}`;
      this.log.error(why);
      state.active = state.previous;
      state.previous = pr.version;
      state.probation = null;
      ModelStore.note(state, state.active, why);
      store.write(state);
      this.bootNotice = why;
    } else if (pr) {
      state.probation = { ...pr, pid: process.pid, cleanStop: false };
      store.write(state);
    }
    this.p.recognition.select(this.sourceOf(state.active));
  }

  /** After MQTT is up: publish the active version (and a rollback the boot made), and resume a probation. */
  start(): void {
    if (this.bootNotice) this.p.notices.event({ type: 'rollback', version: this.p.store.read().active, reason: this.bootNotice });
    this.bootNotice = null;
    this.publish();
    const pr = this.p.store.read().probation;
    if (pr) this.watch(new Date(pr.until).getTime());
  }

  /** A clean stop during probation is not a crash: the next start continues the probation. */
  stop(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = null;
    const state = this.p.store.read();
    if (state.probation) {
      state.probation.cleanStop = true;
      this.p.store.write(state);
    }
  }

  status(): ModelStatus & { versions: StoredVersion[]; history: ModelStoreState['history'] } {
    const state = this.p.store.read();
    return { ...this.statusOf(state), versions: this.p.store.versions(), history: state.history };
  }

  /** A pushed bundle (a .tar stream or file): verified, kept, then activated on probation. Throws with the reason. */
  async install(archive: string | Readable): Promise<ModelStatus> {
    const incoming = join(this.p.store.dir, 'incoming', `${process.pid}-${Date.now()}`);
    mkdirSync(incoming, { recursive: true });
    try {
      let bundle: VerifiedBundle;
      try {
        await unpackBundle(archive, incoming);
        bundle = verifyBundleDir(incoming, this.trusted, 'the pushed bundle');
      } catch (err) {
        this.rejected(null, err);
        throw err;
      }
      const id = versionId(bundle.digest);
      this.p.store.add(bundle, id);
      this.log.info('bundle verified and kept', { version: id, name: bundle.doc.name, signer: bundle.signer.id });
      this.p.notices.event({ type: 'installed', version: id });
      return await this.activate(id, `installed ${bundle.doc.name}`);
    } finally {
      rmSync(incoming, { recursive: true, force: true });
    }
  }

  /** Swap to a stored version (null: the built-in models), on probation. */
  async activate(id: string | null, why: string, probation = true): Promise<ModelStatus> {
    if (this.busy) throw new ModelError('MODEL_SWAP_BUSY', 'another model swap is in progress; try again when it ends');
    if (id !== null && !this.p.store.has(id))
      throw new ModelError('MODEL_VERSION_NOT_FOUND', `no model version ${id} on this device`, { version: id });
    this.busy = true;
    try {
      const source = this.sourceOf(id);
      const candidate = await this.p.recognition.openCandidate(source);
      try {
        if (id !== null) await this.smokeTest(id, candidate);
        // The gallery's embeddings must be the new embedder's before anything matches against them.
        if (candidate.gallery.embedderModelId !== candidate.embedder.modelId && candidate.gallery.pets().length > 0)
          await reembedGallery(candidate.gallery, candidate.embedder, this.log);
      } catch (err) {
        await candidate.dispose();
        this.rejected(id, err);
        throw err;
      }
      const embedderChanged = candidate.embedder.modelId !== this.p.recognition.embedder.modelId;
      // The old models are disposed by the recognition service, after the frame in flight or at its stop.
      this.p.recognition.swap(candidate, source);
      if (embedderChanged) await this.p.reembedVisitors(candidate.embedder);
      const state = this.p.store.read();
      if (state.active !== id) state.previous = state.active;
      state.active = id;
      const until = Date.now() + this.config.probationMinutes * 60_000;
      state.probation =
        probation && this.config.probationMinutes > 0
          ? { version: id, until: new Date(until).toISOString(), pid: process.pid, cleanStop: false }
          : null;
      ModelStore.note(state, id, why);
      this.p.store.write(state);
      this.log.info(`model version ${id ?? 'built-in'} active`, {
        why,
        previous: state.previous,
        probationUntil: state.probation?.until ?? null,
      });
      this.publish();
      if (state.probation) this.watch(until);
      return this.statusOf(state);
    } finally {
      this.busy = false;
    }
  }

  /** Back to the version active before this one. */
  async rollback(why: string): Promise<ModelStatus> {
    const state = this.p.store.read();
    if (state.active === null && state.previous === null)
      throw new ModelError('MODEL_NO_PREVIOUS', 'the built-in models are active and there is no earlier version to roll back to');
    const target = state.previous;
    // An operator's rollback is routine; one the device decides on (stall, crash) is an error.
    this.log[why === 'requested' ? 'warn' : 'error'](`rolling back from ${state.active ?? 'built-in'} to ${target ?? 'built-in'}: ${why}`);
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = null;
    const from = state.active;
    const status = await this.activate(target, `rollback: ${why}`, false);
    this.p.notices.event({ type: 'rollback', version: target, reason: `from ${from ?? 'built-in'}: ${why}` });
    return status;
  }

  private async smokeTest(id: string, candidate: Recognizer): Promise<void> {
    const dir = this.p.store.versionDir(id);
    const doc = readDoc(dir);
    const image = await decodeImageFile(join(dir, doc.reference.frame));
    const models = {
      ...(doc.reference.detector ? { detector: candidate.detector } : {}),
      ...(doc.reference.embedder ? { embedder: candidate.embedder } : {}),
    };
    const actual = await computeReference(models, image);
    const problems = checkReference(doc.reference, actual, doc.reference.tolerance, {
      reference: doc.reference.detector?.minScore ?? this.p.minScore,
      device: this.p.minScore,
    });
    if (problems.length > 0)
      throw new ModelError('MODEL_SMOKE_FAILED', `version ${id} failed its smoke test on the reference frame: ${problems.join('; ')}`, {
        version: id,
        problems,
      });
  }

  /** Probation: a frame loop that stops while the camera delivers rolls back; the end of probation is recorded. */
  private watch(until: number): void {
    if (this.monitor) clearInterval(this.monitor);
    let frames = this.p.framesDone();
    let movedAt = Date.now();
    this.monitor = setInterval(() => {
      const now = Date.now();
      const done = this.p.framesDone();
      if (done !== frames || !this.p.cameraDelivering()) {
        frames = done;
        movedAt = now;
      }
      if (now - movedAt > this.config.stallSeconds * 1000) {
        void this.rollback(`the frame loop stalled for ${this.config.stallSeconds} s during probation`).catch((e: unknown) =>
          this.log.error('rollback after a stall failed', { error: e as Error }),
        );
        return;
      }
      if (now >= until) {
        clearInterval(this.monitor!);
        this.monitor = null;
        const state = this.p.store.read();
        const version = state.probation?.version ?? null;
        state.probation = null;
        ModelStore.note(state, version, 'probation passed');
        this.p.store.write(state);
        this.log.info(`model version ${version ?? 'built-in'} passed probation`);
        this.p.notices.event({ type: 'probation-passed', version });
        this.publish();
      }
    }, 1_000);
    this.monitor.unref();
  }

  private rejected(id: string | null, err: unknown): void {
    const e = err instanceof GlovesError ? err : new GlovesError('INTERNAL', String(err));
    this.log.warn(`model bundle rejected: ${e.message}`, { code: e.code, version: id });
    this.p.notices.event({ type: 'rejected', version: id, reason: e.message, code: e.code });
  }

  private sourceOf(id: string | null): ModelSource {
    if (id === null) return { files: {} };
    const dir = this.p.store.versionDir(id);
    const doc = readDoc(dir);
    const files: ModelSource['files'] = {};
    for (const m of doc.models) {
      const manifestPath = join(dir, m.manifest);
      files[m.task] = { manifest: parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath), dir: dirname(manifestPath) };
    }
    return { files, ...(doc.stats ? { statsDir: dirname(join(dir, doc.stats)) } : {}) };
  }

  private statusOf(state: ModelStoreState): ModelStatus {
    const version = state.active === null ? null : this.p.store.versions().find((v) => v.id === state.active);
    return {
      active: state.active,
      name: version?.name ?? 'built-in',
      previous: state.previous,
      probation_until: state.probation?.until ?? null,
      embedder: this.p.recognition.started ? this.p.recognition.embedder.modelId : '',
    };
  }

  private publish(): void {
    this.p.notices.active(this.statusOf(this.p.store.read()));
  }
}

function readDoc(dir: string): BundleDoc {
  const path = join(dir, 'bundle.json');
  return parseBundleDoc(JSON.parse(readFileSync(path, 'utf8')), path);
}

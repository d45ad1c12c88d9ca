import type { Readable } from 'node:stream';
import type { PetEvent } from '../events/types.js';
import type { PetState } from '../presence/types.js';
import type { EnrolOutcome, IdentifiedAnimal } from '../recognition/index.js';
import type { AnimalLabel, Box } from '../recognition/types.js';

/**
 * What the HTTP API needs from the running daemon, as interfaces: http/ sits below config/ and
 * runtime/, so it never imports the daemon; runtime/ implements these (runtime/http-services.ts)
 * and wiring.ts hands them to the server. A new route group adds its own port here.
 */

export type CheckStatus = 'ok' | 'failing';

export interface HealthCheck {
  status: CheckStatus;
  /** Why it is failing (or a short note when ok). */
  reason?: string;
}

/** The checks of GET /healthz, one per part. */
export interface HealthReport {
  /** Every camera together: ok while each one is online; failing names the ones that are not. */
  camera: HealthCheck;
  /** Each camera by id (not a check of its own: `camera` already counts them). */
  cameras: Record<string, HealthCheck>;
  inference: HealthCheck;
  mqtt: HealthCheck;
  disk: HealthCheck;
}

export interface HealthProbe {
  health(): Promise<HealthReport>;
}

/** A cumulative histogram: `count` of observations <= each bucket's upper bound `le`. */
export interface Histogram {
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** What GET /metrics exposes, read at each scrape. */
export interface MetricsSnapshot {
  frames: Record<string, number>;
  events: Record<string, number>;
  /** Seconds per pipeline stage (detect, embed, match, track). */
  stages: Record<string, Histogram>;
  outboxDepth: number;
  pets: number;
  visitors: number;
  build: { version: string; node: string; backend: string };
}

export interface MetricsSource {
  metrics(): MetricsSnapshot;
}

/** An uploaded image: its bytes (type already sniffed) and a name for messages (file name or field). */
export interface Upload {
  name: string;
  bytes: Buffer;
}

export interface ComparedImage {
  image: string;
  label: AnimalLabel;
  score: number;
  box: Box;
  similarity: number;
  probability: number;
}

export interface CompareResult {
  anchor: { image: string; label: AnimalLabel; score: number; box: Box };
  /** One per other image, in order: the comparison, or why that image could not be compared. */
  results: (ComparedImage | { image: string; error: { code: string; message: string } })[];
}

/** Identify and compare with the daemon's own models and gallery. */
export interface RecognitionPort {
  identify(image: Upload): Promise<IdentifiedAnimal[]>;
  compare(anchor: Upload, others: readonly Upload[]): Promise<CompareResult>;
}

export interface PhotoView {
  id: string;
  added_at: string;
  label: AnimalLabel;
  score: number;
  /** The photo's crop, GET-able with the same auth. */
  url: string;
}

export interface PetView {
  id: string;
  name: string;
  created_at: string;
  photos: PhotoView[];
  /** Presence, when the daemon tracks the pet. */
  state: PetState | null;
}

export interface EnrolResult {
  pet: PetView;
  results: EnrolOutcome[];
}

/** The gallery, changed in place: the running matcher, presence and discovery follow every change. */
export interface PetsPort {
  list(): PetView[];
  get(id: string): PetView;
  create(name: string): Promise<PetView>;
  remove(id: string): Promise<void>;
  addPhotos(id: string, photos: readonly Upload[]): Promise<EnrolResult>;
  removePhoto(id: string, photo: string): Promise<void>;
  /** Absolute path of a photo's crop JPEG. */
  photoFile(id: string, photo: string): string;
}

export interface VisitorView {
  id: string;
  sightings: number;
  first_seen: string;
  last_seen: string;
  crops: { file: string; url: string }[];
}

export interface VisitorsPort {
  list(): VisitorView[];
  /** Enrols the visitor's crops as a pet called `name` (the same checks as enrolment), then forgets the visitor. */
  name(id: string, name: string): Promise<EnrolResult>;
  forget(id: string): Promise<void>;
  /** Absolute path of one of a visitor's crops. */
  cropFile(id: string, file: string): string;
}

export interface SightingView {
  id: string;
  /** seen (a pet), unknown_seen or new_visitor. */
  type: string;
  pet: string | null;
  pet_id: string | null;
  visitor: string | null;
  ts: string;
  confidence: number;
  snapshot: string | null;
}

export interface LivePort {
  /** Newest first. */
  sightings(limit: number): SightingView[];
  sightingJpeg(id: string): Buffer | undefined;
  /** The configured camera ids, the default (first) camera first. */
  cameras(): readonly string[];
  /** The latest frame of `camera` (default: the first camera) with boxes and names drawn, or null before its first frame. */
  frameJpeg(camera?: string): Promise<Buffer | null>;
  /** Every event as published on MQTT; returns the unsubscribe. */
  subscribe(listener: (e: PetEvent) => void): () => void;
}

/** The active model version, as the API and MQTT show it. */
export interface ModelStatusView {
  active: string | null;
  name: string;
  previous: string | null;
  probation_until: string | null;
  embedder: string;
}

/** The device's model versions: list, install a pushed bundle (.tar), activate one, roll back. */
export interface ModelsPort {
  status(): ModelStatusView & {
    versions: { id: string; name: string; createdAt: string; embedderId: string; tasks: string[] }[];
    history: { at: string; version: string | null; why: string }[];
  };
  install(archive: Readable): Promise<ModelStatusView>;
  activate(version: string | null): Promise<ModelStatusView>;
  rollback(): Promise<ModelStatusView>;
}

/** Everything the route groups use; one object built by the composition root. */
export interface HttpDeps {
  health: HealthProbe;
  metrics: MetricsSource;
  recognition: RecognitionPort;
  pets: PetsPort;
  visitors: VisitorsPort;
  live: LivePort;
  /** The daemon's version, for the OpenAPI document. */
  version: string;
  /** The built page (`npm run build` writes it to dist/web), served at `/`. */
  webRoot: string;
  models: ModelsPort;
}

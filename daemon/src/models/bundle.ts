/**
 * Model bundles: what travels from the trainer (or a registry) to a device.
 *
 *   bundle.json   format, the models (manifest paths), every other file with its sha256 and size, the source
 *                 (registry, model, version, run), the embedder id, the reference frame with its expected
 *                 outputs and tolerance, and the optional calibration cache, QDQ model, evaluation report and
 *                 population statistics
 *   bundle.sig    ed25519 over bundle.json's bytes (./bundle-sign.ts)
 *   ...           the files bundle.json lists, at the relative paths it names
 *
 * verifyBundle() is the one check a device (and `gloves models verify`) runs: signature by a trusted key first,
 * then every listed file's presence and sha256. A bundle is a directory, or a .tar of one (./bundle-archive.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, posix } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors.js';
import { formatIssues } from '../util/zod-issues.js';
import { checkSignature, signatureSchema, type PublicKey } from './bundle-sign.js';
import { parseManifest, type ModelManifest } from './manifest.js';

export const BUNDLE_FILE = 'bundle.json';
export const SIGNATURE_FILE = 'bundle.sig';

/** A relative path inside a bundle: forward slashes, no `..`, not absolute, no hidden tricks. */
export const bundlePath = z
  .string()
  .min(1)
  .refine((p) => isSafeRelativePath(p), { message: 'must be a relative path inside the bundle (no "..", no leading "/")' });

const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const sha = z.string().regex(/^[0-9a-f]{64}$/);

export const FILE_ROLES = ['manifest', 'model', 'calibration', 'qdq', 'report', 'stats', 'reference'] as const;

export const bundleSchema = z.strictObject({
  format: z.literal('gloves-bundle'),
  version: z.literal(1),
  /** Human label: the registry model and version, or the trainer's model names. */
  name: z.string().min(1),
  createdAt: z.string(),
  /** Manifest paths of the models it carries, at most one per task. */
  models: z.array(z.strictObject({ task: z.enum(['detector', 'embedder']), manifest: bundlePath })).min(1),
  /** Every file except bundle.json and bundle.sig. */
  files: z.array(z.strictObject({ path: bundlePath, sha256: sha, size: z.number().int().min(0), role: z.enum(FILE_ROLES) })).min(1),
  /** The embedder id (name@sha12) the bundle's embeddings and statistics belong to: its own, or the one it needs. */
  embedderId: z.string().min(1),
  calibration: bundlePath.nullable(),
  qdq: bundlePath.nullable(),
  report: bundlePath.nullable(),
  stats: bundlePath.nullable(),
  source: z
    .strictObject({ registry: z.string(), model: z.string(), version: z.string(), runId: z.string().nullable() })
    .nullable(),
  reference: z.strictObject({
    frame: bundlePath,
    tolerance: z.strictObject({
      /** Largest |score difference| of a matched detection. */
      score: z.number().min(0).max(1),
      /** Smallest IoU of a matched detection's box. */
      iou: z.number().min(0).max(1),
      /** Smallest cosine between the expected and the computed embedding. */
      cosine: z.number().min(-1).max(1),
    }),
    detector: z
      .strictObject({
        /** The score threshold the detections were recorded with. */
        minScore: z.number().min(0).max(1),
        detections: z.array(z.strictObject({ label: z.enum(['cat', 'dog']), score: z.number(), box })),
      })
      .optional(),
    /** The embedding of `region` (pixels x, y, width, height of the frame). */
    embedder: z
      .strictObject({
        region: z.tuple([z.number(), z.number(), z.number(), z.number()]),
        /** Whether the embedding averages the mirrored crop (matching.flipTta). */
        flip: z.boolean(),
        embedding: z.array(z.number()).min(1),
      })
      .optional(),
  }),
});

export type BundleDoc = z.output<typeof bundleSchema>;
export type BundleFile = BundleDoc['files'][number];

/** Pure: forward-slash relative path that stays inside its root. */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.includes('\\') || p.includes('\0') || isAbsolute(p) || p.startsWith('/')) return false;
  const n = posix.normalize(p);
  return n === p && !n.startsWith('../') && n !== '..' && n !== '.' && !n.split('/').includes('..');
}

export function sha256Bytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Pure: validate bundle.json's parsed content; every problem listed. Cross-references are checked too. */
export function parseBundleDoc(obj: unknown, source: string): BundleDoc {
  const res = bundleSchema.safeParse(obj);
  if (!res.success) {
    const problems = formatIssues(res.error.issues);
    throw new ModelError('BUNDLE_INVALID', `invalid bundle ${source}:\n  ${problems.join('\n  ')}`, { source, problems });
  }
  const doc = res.data;
  const listed = new Set(doc.files.map((f) => f.path));
  const problems: string[] = [];
  const refs: [string, string | null][] = [
    ['calibration', doc.calibration],
    ['qdq', doc.qdq],
    ['report', doc.report],
    ['stats', doc.stats],
    ['reference.frame', doc.reference.frame],
    ...doc.models.map((m, i): [string, string] => [`models.${i}.manifest`, m.manifest]),
  ];
  for (const [key, p] of refs) if (p !== null && !listed.has(p)) problems.push(`${key}: ${p} is not in files`);
  if (listed.size !== doc.files.length) problems.push('files: a path is listed twice');
  const tasks = doc.models.map((m) => m.task);
  if (new Set(tasks).size !== tasks.length) problems.push('models: at most one model per task');
  if (problems.length > 0)
    throw new ModelError('BUNDLE_INVALID', `invalid bundle ${source}:\n  ${problems.join('\n  ')}`, { source, problems });
  return doc;
}

/** The reason a bundle failed verification, as `gloves models verify` and the device name it. */
export type BundleRejection =
  | 'unsigned'
  | 'bad signature'
  | 'untrusted key'
  | 'hash mismatch'
  | 'missing file'
  | 'unsafe archive'
  | 'invalid';

const REJECTION_CODE = {
  unsigned: 'BUNDLE_UNSIGNED',
  'bad signature': 'BUNDLE_BAD_SIGNATURE',
  'untrusted key': 'BUNDLE_UNTRUSTED_KEY',
  'hash mismatch': 'BUNDLE_HASH_MISMATCH',
  'missing file': 'BUNDLE_FILE_MISSING',
  'unsafe archive': 'BUNDLE_ARCHIVE_UNSAFE',
  invalid: 'BUNDLE_INVALID',
} as const;

export function rejectionOf(err: unknown): BundleRejection | null {
  if (!(err instanceof ModelError)) return null;
  const hit = Object.entries(REJECTION_CODE).find(([, code]) => code === err.code);
  return hit ? (hit[0] as BundleRejection) : null;
}

function reject(reason: BundleRejection, message: string, details: Record<string, unknown>): ModelError {
  return new ModelError(REJECTION_CODE[reason], message, { ...details, reason });
}

export interface VerifiedBundle {
  dir: string;
  doc: BundleDoc;
  /** bundle.json's exact bytes (what was signed). */
  raw: Buffer;
  /** sha256 of bundle.json: the version id a device stores it under is its first 12 hex digits. */
  digest: string;
  signer: PublicKey;
  /** The models' manifests, by task, and their model files' paths inside the bundle. */
  manifests: { task: 'detector' | 'embedder'; manifest: ModelManifest; manifestPath: string; modelPath: string }[];
}

/** The version id of a bundle: stable, derived from the signed bytes. */
export function versionId(digest: string): string {
  return digest.slice(0, 12);
}

/**
 * Verify a bundle directory: signature by one of `trusted`, then every file (present, size, sha256), then the
 * manifests (valid, their model file listed with the manifest's sha256). Throws ModelError with the reason.
 */
export function verifyBundleDir(dir: string, trusted: readonly PublicKey[], label = dir): VerifiedBundle {
  const jsonPath = join(dir, BUNDLE_FILE);
  if (!existsSync(jsonPath)) throw reject('invalid', `${label} is not a bundle: it has no ${BUNDLE_FILE}`, { dir });
  const raw = readFileSync(jsonPath);
  let obj: unknown;
  try {
    obj = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw reject('invalid', `${jsonPath} is not valid JSON: ${(err as Error).message}`, { dir });
  }
  const sigPath = join(dir, SIGNATURE_FILE);
  if (!existsSync(sigPath)) throw reject('unsigned', `bundle ${label} is unsigned: it has no ${SIGNATURE_FILE}`, { dir });
  let sigObj: unknown;
  try {
    sigObj = JSON.parse(readFileSync(sigPath, 'utf8'));
  } catch {
    sigObj = undefined;
  }
  const sig = signatureSchema.safeParse(sigObj);
  if (!sig.success) throw reject('bad signature', `bundle ${label}: ${SIGNATURE_FILE} is not a Gloves signature`, { dir });
  const verdict = checkSignature(raw, sig.data, trusted);
  if (!verdict.ok) {
    if (verdict.reason === 'untrusted-key') {
      const known = trusted.map((k) => k.id).join(', ') || 'none configured';
      throw reject('untrusted key', `bundle ${label} is signed by key ${sig.data.keyId}, which is not trusted (trusted: ${known})`, {
        dir,
        keyId: sig.data.keyId,
      });
    }
    throw reject('bad signature', `bundle ${label}: the signature of ${BUNDLE_FILE} by key ${sig.data.keyId} is wrong (edited after signing?)`, {
      dir,
      keyId: sig.data.keyId,
    });
  }
  const doc = parseBundleDoc(obj, jsonPath);
  for (const f of doc.files) checkFile(dir, f, label);
  const manifests = doc.models.map((m) => {
    const manifestPath = join(dir, m.manifest);
    const manifest = readBundleManifest(manifestPath, `${label}/${m.manifest}`);
    const rel = posix.join(posix.dirname(m.manifest), manifest.file);
    const entry = doc.files.find((f) => f.path === rel);
    if (manifest.task !== m.task)
      throw reject('invalid', `bundle ${label}: ${m.manifest} is a ${manifest.task}, listed as the ${m.task}`, { dir });
    if (!entry) throw reject('invalid', `bundle ${label}: the model file ${rel} of ${m.manifest} is not in files`, { dir, path: rel });
    if (entry.sha256 !== manifest.sha256)
      throw reject('hash mismatch', `bundle ${label}: ${rel} is listed with sha256 ${entry.sha256}, its manifest says ${manifest.sha256}`, {
        dir,
        path: rel,
      });
    return { task: m.task, manifest, manifestPath, modelPath: join(dir, normalize(rel)) };
  });
  const digest = sha256Bytes(raw);
  return { dir, doc, raw, digest, signer: verdict.key, manifests };
}

function checkFile(dir: string, f: BundleFile, label: string): void {
  const p = join(dir, f.path);
  if (!existsSync(p) || !statSync(p).isFile()) throw reject('missing file', `bundle ${label}: ${f.path} is missing`, { dir, path: f.path });
  const data = readFileSync(p);
  const got = sha256Bytes(data);
  if (got !== f.sha256 || data.length !== f.size)
    throw reject('hash mismatch', `bundle ${label}: ${f.path} has sha256 ${got}, bundle.json pins ${f.sha256}`, {
      dir,
      path: f.path,
      expected: f.sha256,
      actual: got,
    });
}

function readBundleManifest(path: string, label: string): ModelManifest {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw reject('invalid', `${label} is not valid JSON: ${(err as Error).message}`, { path: label });
  }
  try {
    return parseManifest(obj, label);
  } catch (err) {
    throw reject('invalid', (err as Error).message, { path: label });
  }
}

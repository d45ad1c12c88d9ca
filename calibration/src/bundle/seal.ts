/**
 * Writes a bundle's bundle.json (hashing every listed file) and, given a key, its bundle.sig. Used by
 * `bundle` (local files) and `pull` (files from a registry). The format and its checks are the daemon's
 * (daemon/src/models/bundle.ts): the doc is validated with the same parser a device uses before it is written.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import {
  BUNDLE_FILE,
  SIGNATURE_FILE,
  parseBundleDoc,
  sha256Bytes,
  type BundleDoc,
  type BundleFile,
} from '../../../daemon/src/models/bundle.js';
import { signBytes } from '../../../daemon/src/models/bundle-sign.js';
import { writeFileAtomic } from '../../../daemon/src/util/atomic-file.js';

export type BundleDraft = Omit<BundleDoc, 'format' | 'version' | 'files' | 'createdAt'> & {
  files: Pick<BundleFile, 'path' | 'role'>[];
  createdAt?: string;
};

/** Hash the draft's files in `dir`, write bundle.json, and sign it with `key` (else remove a stale bundle.sig). */
export function sealBundle(dir: string, draft: BundleDraft, key?: KeyObject): BundleDoc {
  const files = draft.files.map((f) => {
    const data = readFileSync(join(dir, f.path));
    return { path: f.path, sha256: sha256Bytes(data), size: data.length, role: f.role };
  });
  const doc = parseBundleDoc(
    { ...draft, format: 'gloves-bundle', version: 1, createdAt: draft.createdAt ?? new Date().toISOString(), files },
    join(dir, BUNDLE_FILE),
  );
  const raw = Buffer.from(JSON.stringify(doc, null, 2) + '\n');
  writeFileAtomic(join(dir, BUNDLE_FILE), raw);
  if (key) signBundleJson(dir, key);
  else rmSync(join(dir, SIGNATURE_FILE), { force: true });
  return doc;
}

/** (Re)sign an existing bundle.json as it is. */
export function signBundleJson(dir: string, key: KeyObject): void {
  const raw = readFileSync(join(dir, BUNDLE_FILE));
  writeFileAtomic(join(dir, SIGNATURE_FILE), JSON.stringify(signBytes(raw, key), null, 2) + '\n');
}

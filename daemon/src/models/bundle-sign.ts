/**
 * Ed25519 signing of model bundles (node:crypto only). The signature covers bundle.json's exact bytes;
 * bundle.json pins every other file's sha256, so one signature covers the whole bundle.
 *
 * Keys are PEM: the private key PKCS#8 (written 0600), the public key SPKI. A key's id is the first
 * 16 hex digits of the sha256 of its SPKI DER: bundle.sig names the key by id, so a device tells "signed
 * by a key I do not trust" from "the signature is wrong" without trying every key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelError } from '../errors.js';

export const PRIVATE_KEY_FILE = 'gloves-signing.key';
export const PUBLIC_KEY_FILE = 'gloves-signing.pub';

/** bundle.sig's content. */
export const signatureSchema = z.strictObject({
  algorithm: z.literal('ed25519'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().min(1),
});
export type BundleSignature = z.output<typeof signatureSchema>;

export interface PublicKey {
  id: string;
  key: KeyObject;
  /** Where it came from (file name or config index), for messages. */
  source: string;
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** A fresh key pair as PEM strings, and the public key's id. */
export function generateSigningKey(): { privatePem: string; publicPem: string; id: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    id: keyId(publicKey),
  };
}

function readKeyText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelError('SIGNING_KEY_INVALID', `cannot read key file ${file}: ${(err as Error).message}`, { file });
  }
}

/** A PEM public key (text), checked to be ed25519. */
export function parsePublicKey(pem: string, source: string): PublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ModelError('SIGNING_KEY_INVALID', `${source} is not a PEM public key: ${(err as Error).message}`, { source });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ModelError('SIGNING_KEY_INVALID', `${source} is a ${key.asymmetricKeyType} key; bundles are signed with ed25519`, { source });
  return { id: keyId(key), key, source };
}

export function readPublicKey(file: string): PublicKey {
  return parsePublicKey(readKeyText(file), file);
}

export function readPrivateKey(file: string): KeyObject {
  const text = readKeyText(file);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    throw new ModelError('SIGNING_KEY_INVALID', `${file} is not a PEM private key: ${(err as Error).message}`, { file });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ModelError('SIGNING_KEY_INVALID', `${file} is a ${key.asymmetricKeyType} key; bundles are signed with ed25519`, { file });
  return key;
}

/** bundle.sig for these bundle.json bytes. */
export function signBytes(data: Uint8Array, privateKey: KeyObject): BundleSignature {
  return {
    algorithm: 'ed25519',
    keyId: keyId(createPublicKey(privateKey)),
    signature: sign(null, data, privateKey).toString('base64'),
  };
}

export type SignatureVerdict = { ok: true; key: PublicKey } | { ok: false; reason: 'untrusted-key' | 'bad-signature' };

/** Pure: whether `sig` is a valid signature of `data` by one of `trusted`. */
export function checkSignature(data: Uint8Array, sig: BundleSignature, trusted: readonly PublicKey[]): SignatureVerdict {
  const key = trusted.find((k) => k.id === sig.keyId);
  if (!key) return { ok: false, reason: 'untrusted-key' };
  const raw = Buffer.from(sig.signature, 'base64');
  // ed25519 signatures are 64 bytes; verify() throws on some malformed lengths instead of answering false.
  const ok = raw.length === 64 && verify(null, data, key.key, raw);
  return ok ? { ok: true, key } : { ok: false, reason: 'bad-signature' };
}

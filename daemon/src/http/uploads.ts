/**
 * Request bodies that carry images: a raw body (image/jpeg, image/png, image/webp or
 * application/octet-stream) or multipart/form-data. The image type is sniffed from the bytes,
 * never taken from a header. Ids from the path are checked here too: nothing from a request
 * reaches the filesystem unchecked.
 */
import type { FastifyRequest } from 'fastify';
import { GlovesError } from '../errors.js';
import type { Upload } from './ports.js';

export type ImageKind = 'jpeg' | 'png' | 'webp';

/** Pure: the image type from its magic bytes, or null. */
export function sniffImage(b: Uint8Array): ImageKind | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x)) return 'png';
  const ascii = (from: number, to: number): string => Buffer.from(b.subarray(from, to)).toString('latin1');
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return null;
}

/** Throws HTTP_UNSUPPORTED_MEDIA unless `u` holds a JPEG, PNG or WebP. */
export function requireImage(u: Upload): Upload {
  if (!sniffImage(u.bytes))
    throw new GlovesError('HTTP_UNSUPPORTED_MEDIA', `${u.name} is not a JPEG, PNG or WebP image (by its content)`, { image: u.name });
  return u;
}

/** Every uploaded image of a request, by form field (a raw body is field `image`). Not sniffed yet. */
export async function readUploads(req: FastifyRequest): Promise<Map<string, Upload[]>> {
  const out = new Map<string, Upload[]>();
  const add = (field: string, u: Upload): void => void out.set(field, [...(out.get(field) ?? []), u]);
  if (req.isMultipart()) {
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      add(part.fieldname, { name: part.filename || part.fieldname, bytes: await part.toBuffer() });
    }
    return out;
  }
  if (Buffer.isBuffer(req.body)) {
    add('image', { name: 'image', bytes: req.body });
    return out;
  }
  throw new GlovesError(
    'HTTP_UNSUPPORTED_MEDIA',
    'send the image as the raw body (image/jpeg, image/png, image/webp) or as multipart/form-data',
  );
}

/** Pet ids, photo ids, visitor ids, crop files, sighting ids: one safe pattern each, never a path. */
const ID_PATTERNS = {
  pet: /^[a-z0-9_-]{1,64}$/,
  photo: /^[a-z0-9]{1,32}$/,
  visitor: /^visitor-\d{1,9}$/,
  crop: /^[a-z0-9]{1,32}\.jpg$/,
  sighting: /^[A-Za-z0-9_-]{1,64}$/,
} as const;

export function checkId(kind: keyof typeof ID_PATTERNS, value: string): string {
  if (!ID_PATTERNS[kind].test(value))
    throw new GlovesError('ID_INVALID', `invalid ${kind} id ${JSON.stringify(value.slice(0, 80))}`, { kind });
  return value;
}

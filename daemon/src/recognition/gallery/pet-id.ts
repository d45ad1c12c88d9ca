/**
 * Pet ids: stable, derived once from the name at enrolment, safe as an MQTT topic
 * segment and a Home Assistant object id: [a-z0-9_-], 1..64 chars.
 */
import { GlovesError } from '../../errors.js';

export const PET_ID_RE = /^[a-z0-9_-]{1,64}$/;

export function validatePetName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 100 || /[\u0000-\u001f\u007f]/.test(n)) {
    throw new GlovesError('PET_NAME_INVALID', `pet name must be 1-100 printable characters, got ${JSON.stringify(name)}`, { name });
  }
  return n;
}

/** Slug of a name: "Mr. Whiskers" -> "mr_whiskers", "Zoé" -> "zoe"; never empty. */
export function slugifyPetName(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 56);
  return s.length > 0 ? s : 'pet';
}

/** A slug of `name` not in `taken` (suffix _2, _3, ... on collision). */
export function uniquePetId(name: string, taken: ReadonlySet<string>): string {
  const base = slugifyPetName(name);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base}_${i}`;
    if (!taken.has(id)) return id;
  }
}

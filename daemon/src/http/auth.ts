/**
 * Bearer-token authorisation, as a pure decision per request. Routes are `public` (GET /healthz,
 * the page's static shell: no data), `read` (GET: open on loopback, token beyond it) or `write`
 * (always the token; with no token configured, writes are refused rather than left open).
 * Tokens are compared in constant time over their SHA-256 digests, so neither the content nor
 * the length of the configured token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GlovesError } from '../errors.js';

export type Access = 'public' | 'read' | 'write';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer TOKEN` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

/** Pure: null when the request may proceed, else the error to answer with. */
export function authorize(access: Access, header: string | undefined, token: string | undefined, loopback: boolean): GlovesError | null {
  if (access === 'public') return null;
  const given = bearerToken(header);
  if (access === 'write' && token === undefined)
    return new GlovesError('HTTP_NO_TOKEN', 'writes need a bearer token, and none is configured: set http.token or http.tokenFile');
  if (access === 'read' && loopback && header === undefined) return null;
  if (given === undefined) return new GlovesError('HTTP_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer TOKEN"');
  if (token === undefined || !tokensEqual(given, token)) return new GlovesError('HTTP_UNAUTHORIZED', 'wrong bearer token');
  return null;
}

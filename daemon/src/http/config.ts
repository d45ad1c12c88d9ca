/**
 * The `http` config section: where the API listens, its bearer token, TLS and upload limits.
 * Listening beyond loopback without a token is a config error (and, for a token file that turns
 * out empty, a start error): the API then exposes the camera and the gallery to the network.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { GlovesError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Pure: `HOST:PORT` (IPv6 in brackets: `[::1]:8080`) or `off` -> the address, null for off, or a problem string. */
export function parseListen(text: string): ListenAddress | null | string {
  if (text === 'off') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return `must be HOST:PORT (IPv6 as [ADDR]:PORT) or off, got ${JSON.stringify(text)}`;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return `port must be 0-65535, got ${port}`;
  if (m[1] !== undefined && isIP(host) !== 6) return `${JSON.stringify(host)} is not an IPv6 address`;
  return { host, port };
}

/** Whether a listen host only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const httpSection = z
  .strictObject({
    listen: z
      .string()
      .default('127.0.0.1:8080')
      .superRefine((t, ctx) => {
        const r = parseListen(t);
        if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
      })
      .describe('HOST:PORT of the HTTP API and web page, or off (gloves run --http overrides it)'),
    token: z.string().min(16, 'must be at least 16 characters').optional().describe('Bearer token for the API (env GLOVES_HTTP__TOKEN)'),
    tokenFile: z.string().optional().describe('File holding the bearer token (instead of token)'),
    tls: z
      .strictObject({
        cert: z.string().describe('PEM certificate file'),
        key: z.string().describe('PEM private key file'),
      })
      .optional()
      .describe('Serve HTTPS with this certificate and key'),
    maxUploadBytes: z
      .number()
      .int()
      .min(1024)
      .default(10 * 1024 * 1024)
      .describe('Largest accepted request body (one image, or a whole multipart upload)'),
    rateLimitPerMinute: z.number().int().min(1).default(120).describe('Requests per minute and client to identify and compare'),
  })
  .superRefine((s, ctx) => {
    if (s.token !== undefined && s.tokenFile !== undefined)
      ctx.addIssue({ code: 'custom', path: ['tokenFile'], message: 'give token or tokenFile, not both' });
    const addr = parseListen(s.listen);
    if (addr && typeof addr === 'object' && !isLoopback(addr.host) && s.token === undefined && s.tokenFile === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `required when listen (${s.listen}) is beyond loopback: set http.token, http.tokenFile or GLOVES_HTTP__TOKEN`,
      });
  })
  .prefault({});

export type HttpConfig = z.output<typeof httpSection>;

/**
 * The bearer token: `http.token`, or the trimmed content of `http.tokenFile` (read at each call, so a
 * rotated file is picked up by the next start). A file that cannot be read or holds fewer than 16
 * characters is HTTP_NO_TOKEN naming the file, never echoing its content.
 */
export function readToken(config: Pick<HttpConfig, 'token' | 'tokenFile'>): string | undefined {
  const { token, tokenFile } = config;
  if (tokenFile === undefined) return token;
  let text: string;
  try {
    text = readFileSync(tokenFile, 'utf8').trim();
  } catch (err) {
    throw new GlovesError('HTTP_NO_TOKEN', `cannot read http.tokenFile ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      file: tokenFile,
    });
  }
  if (text.length < 16)
    throw new GlovesError('HTTP_NO_TOKEN', `http.tokenFile ${tokenFile} must hold a token of at least 16 characters`, { file: tokenFile });
  return text;
}

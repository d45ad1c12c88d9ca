import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from '../../../../daemon/src/cli/index.js';
import { parseCommandArgs, requireString } from '../../../../daemon/src/cli/index.js';
import { GlovesError, UsageError } from '../../../../daemon/src/errors.js';
import { BUNDLE_FILE, SIGNATURE_FILE, parseBundleDoc } from '../../../../daemon/src/models/bundle.js';
import { packBundleToBuffer } from '../../../../daemon/src/models/bundle-archive.js';
import { createProgress } from '../../registry/progress.js';

/** The archive to send: a .tar as it is, or a bundle directory packed the way `gloves models verify` reads it. */
async function archiveOf(path: string): Promise<Buffer> {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`push: --bundle ${path} does not exist`);
  }
  if (!dir) return readFileSync(path);
  const jsonPath = join(path, BUNDLE_FILE);
  let doc;
  try {
    doc = parseBundleDoc(JSON.parse(readFileSync(jsonPath, 'utf8')), jsonPath);
  } catch (err) {
    throw err instanceof GlovesError ? err : new GlovesError('BUNDLE_INVALID', `${path} is not a bundle: ${(err as Error).message}`);
  }
  // An unsigned bundle is sent as it is: the device is the one that refuses it, and says why.
  const signed = existsSync(join(path, SIGNATURE_FILE));
  return packBundleToBuffer(
    path,
    doc.files.map((f) => f.path),
    signed,
  );
}

/** The body in chunks, counted into the progress bar as fetch reads them. */
function counted(data: Buffer, onChunk: (n: number) => void): ReadableStream<Uint8Array> {
  const CHUNK = 256 * 1024;
  let off = 0;
  return Readable.toWeb(
    Readable.from(
      (function* () {
        while (off < data.length) {
          const c = data.subarray(off, off + CHUNK);
          off += c.length;
          onChunk(c.length);
          yield c;
        }
      })(),
    ),
  ) as ReadableStream<Uint8Array>;
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'upload a signed bundle to a device, which verifies, smoke-tests and swaps it in',
  usage: `gloves-trainer push --device URL --bundle DIR|TAR [--token TOKEN]
  Uploads the bundle to the device's POST /v1/models (http or https), with progress, and prints the device's
  verdict: the version now active (on probation), or why it was rejected (unsigned, bad signature, untrusted key,
  hash mismatch, failed smoke test). The token is the device's http.token (or env GLOVES_DEVICE_TOKEN).
  Exit 0 when the device activated the bundle, 1 otherwise.`,
  async run(ctx) {
    const { values } = parseCommandArgs('push', ctx.argv, {
      device: { type: 'string' },
      bundle: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const device = requireString('push', values.device, '--device').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(device))
      throw new UsageError(`push: --device must be http(s)://HOST[:PORT], got ${JSON.stringify(device)}`);
    const token = values.token ?? ctx.env.GLOVES_DEVICE_TOKEN;
    if (!token) throw new UsageError('push: a token is needed (--token or GLOVES_DEVICE_TOKEN): the device refuses unauthenticated writes');
    const bundlePath = requireString('push', values.bundle, '--bundle');
    const archive = await archiveOf(bundlePath);
    const progress = createProgress(process.stderr);
    progress.file(bundlePath, archive.length);
    let res: Response;
    try {
      res = await fetch(`${device}/v1/models`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-tar', 'content-length': String(archive.length) },
        body: counted(archive, (n) => progress.advance(n)),
        duplex: 'half',
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new GlovesError('SOURCE_UNAVAILABLE', `push: cannot reach ${device}: ${cause}`, { device });
    }
    progress.done(`uploaded ${bundlePath}: ${(archive.length / 1e6).toFixed(1)} MB`);
    const body = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
      active?: string | null;
      name?: string;
      probation_until?: string | null;
    };
    if (!res.ok) {
      const code = body.error?.code ?? '';
      ctx.stderr(`device rejected the bundle (${res.status}${code ? ` ${code}` : ''}): ${body.error?.message ?? res.statusText}`);
      return 1;
    }
    ctx.stdout(
      `device ${device}: version ${body.active ?? 'built-in'} (${body.name}) active` +
        (body.probation_until ? `, on probation until ${body.probation_until}` : ''),
    );
    return 0;
  },
};

/** Doctor checks of what the daemon uses: camera, models, inference backend, broker, HTTP, gallery. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { GlovesConfig } from '../config/schema.js';
import { GlovesError } from '../errors.js';
import { isLoopback, parseListen } from '../http/config.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { CameraConfig } from '../camera/config.js';
import { createFrameSource, drainCameraPipelines, type FrameSource, type Platform } from '../camera/index.js';
import { findManifest, type ModelManifest } from '../models/manifest.js';
import { verifyModelFile } from '../models/install.js';
import { createBackend } from '../inference/select.js';
import { chooseBackend } from '../inference/tensorrt/backend.js';
import { loadNativeAddon } from '../native/addon.js';
import { embedderModelId, openGallery, packagePath } from '../recognition/index.js';
import { classifyConnectError, clientOptions } from '../mqtt/options.js';
import { redactUrl } from '../mqtt/url.js';
import { result, type CheckResult } from './check-result.js';

const CAMERA_HINTS: Record<string, string> = {
  URI_INVALID: 'camera.uri: use file://PATH, rtsp://HOST/..., v4l2:///dev/videoN, csi://N or test://smpte',
  SOURCE_NOT_FOUND: 'check camera.uri; list USB cameras with `ls /dev/video*` (is it plugged in?)',
  SOURCE_FAILED:
    'is the camera used by another process (stop the service first: `systemctl stop gloves`)? check the stream URL and credentials',
  SOURCE_TIMEOUT: 'the source opened but sent no frame: check the network and the camera',
  SOURCE_UNSUPPORTED: 'the source has no decodable video (or csi:// is used off a Jetson)',
  PIPELINE_INVALID: 'a GStreamer element is missing: see the gstreamer row',
};

function fromError(name: string, err: unknown, hints: Record<string, string>, fallbackHint: string): CheckResult {
  const { code, message } = GlovesError.from(err);
  return result(name, 'fail', message, hints[code] ?? fallbackHint, code);
}

/** Opens one configured camera and waits for frames, at most `timeoutMs`; the row is `name` (`camera`, or `camera <id>` of several). */
export async function checkCamera(
  c: CameraConfig,
  name: string,
  log: Logger,
  timeoutMs: number,
  platform?: Platform,
): Promise<CheckResult> {
  const t0 = performance.now();
  let src: FrameSource | null = null;
  let failure: unknown = null;
  let frames = 0;
  let size = '';
  const timer = setTimeout(() => {
    failure ??= new GlovesError('SOURCE_TIMEOUT', `no frame within ${Math.round(timeoutMs / 1000)} s`);
    void src?.stop();
  }, timeoutMs);
  try {
    src = createFrameSource(
      { ...c, loop: true, realtime: true, startTimeoutMs: Math.min(c.startTimeoutMs, timeoutMs) },
      platform ? { log: log.child(name), platform } : { log: log.child(name) },
    );
    src.on('reconnecting', ({ error }) => {
      failure ??= error;
      void src?.stop();
    });
    await src.start();
    while (frames < 3 && !failure) {
      const f = await src.next();
      if (!f) break;
      frames++;
      size = `${f.image.width}x${f.image.height}`;
    }
    failure ??= frames === 0 ? (src.lastError ?? new GlovesError('SOURCE_FAILED', 'the source ended without a frame')) : null;
  } catch (err) {
    failure ??= err;
  } finally {
    clearTimeout(timer);
    await src?.stop().catch(() => undefined);
    drainCameraPipelines();
  }
  if (failure && frames === 0) return fromError(name, failure, CAMERA_HINTS, 'try `gloves probe URI` for details');
  return result(name, 'ok', `${c.uri}: ${frames} frames ${size} in ${Math.round(performance.now() - t0)} ms`);
}

export interface VerifiedModels {
  detector: { manifest: ModelManifest; file: string };
  embedder: { manifest: ModelManifest; file: string };
}

/** Both configured models are present and match their manifest's sha256. */
export function checkModels(config: GlovesConfig): { check: CheckResult; models: VerifiedModels | null } {
  const manifestDir = packagePath(config.models.manifestDir);
  const modelsDir = packagePath(config.models.dir);
  const out: Partial<VerifiedModels> = {};
  const problems: CheckResult[] = [];
  for (const role of ['detector', 'embedder'] as const) {
    try {
      const manifest = findManifest(manifestDir, config.models[role]);
      out[role] = { manifest, file: verifyModelFile(manifest, modelsDir) };
    } catch (err) {
      problems.push(
        fromError('models', err, {}, `reinstall the models: \`gloves models install --dir ${modelsDir}\` (scripts/provision.sh does)`),
      );
    }
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    return { check: result('models', 'fail', problems.map((p) => p.detail).join('; '), first.hint, first.code), models: null };
  }
  const v = out as VerifiedModels;
  return {
    check: result('models', 'ok', `${v.detector.manifest.name} and ${v.embedder.manifest.name}: sha256 verified (${modelsDir})`),
    models: v,
  };
}

/** Loads each model on its backend (per model under `auto`); reports TensorRT, CUDA and compute capability where present. */
export async function checkInference(config: GlovesConfig, models: VerifiedModels, log: Logger): Promise<CheckResult> {
  let facts = 'native addon not built';
  let reason: string;
  try {
    const addon = config.inference.backend === 'onnxruntime' ? null : loadNativeAddon();
    const info = addon?.info();
    if (info) {
      facts = info.hasTensorRT
        ? `TensorRT ${info.tensorrtVersion}, CUDA ${info.cudaRuntimeVersion ?? 'none'}, ${info.computeCapability ? `sm_${info.computeCapability.replace('.', '')} (${info.deviceName})` : 'no GPU visible'}`
        : 'native addon without TensorRT';
    }
    reason = chooseBackend(config.inference.backend, addon).reason;
  } catch (err) {
    return fromError('inference', err, {}, 'rebuild the addon (`npm run build:native`) or set inference.backend: onnxruntime');
  }
  const backend = createBackend(config.inference, log.child('inference'));
  const loaded: string[] = [];
  for (const m of [models.detector, models.embedder]) {
    const t0 = performance.now();
    try {
      const s = await backend.load(m.manifest, m.file, { threads: config.inference.threads, precision: config.inference.precision });
      await s.dispose();
      loaded.push(`${m.manifest.task} on ${s.backend} in ${Math.round(performance.now() - t0)} ms`);
    } catch (err) {
      return fromError(
        'inference',
        err,
        {},
        `${backend.name} cannot load ${m.manifest.name}: reinstall the models, or try inference.backend: onnxruntime`,
      );
    }
  }
  return result('inference', 'ok', `${backend.name} (${reason}): ${loaded.join(', ')}; ${facts}`);
}

/** Connects to the broker once, with the configured credentials and TLS, under a client id of its own. */
export async function checkMqtt(config: GlovesConfig, timeoutMs: number): Promise<CheckResult> {
  const m = config.mqtt;
  const url = redactUrl(m.url);
  let opts;
  try {
    opts = clientOptions(m, config.device.id);
  } catch (err) {
    return fromError('mqtt', err, {}, 'fix mqtt.url / mqtt.ca / mqtt.cert / mqtt.key');
  }
  // Never the daemon's client id (the broker would disconnect the running daemon) and no will.
  const { will: _will, ...rest } = opts;
  const client = mqtt.connect(m.url, {
    ...rest,
    clientId: `${opts.clientId}_doctor_${process.pid}`,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  const t0 = performance.now();
  const outcome = await new Promise<{ ok: true } | { ok: false; error: unknown }>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({
          ok: false,
          error: Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' }),
        }),
      timeoutMs,
    );
    client.once('connect', () => {
      clearTimeout(timer);
      resolve({ ok: true });
    });
    client.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error });
    });
  });
  client.end(true);
  if (outcome.ok) {
    const tls = /^(mqtts|wss|ssl|tls):/.test(m.url)
      ? ', TLS verified' + (m.rejectUnauthorized ? '' : ' (NOT: rejectUnauthorized is false)')
      : '';
    const auth = m.username !== undefined ? `, as ${m.username}` : ', anonymous';
    return result('mqtt', 'ok', `connected to ${url} in ${Math.round(performance.now() - t0)} ms${auth}${tls}`);
  }
  const e = classifyConnectError(outcome.error, url, true).error;
  const hints: Record<string, string> = {
    MQTT_AUTH:
      'check mqtt.username and the password (GLOVES_MQTT__PASSWORD in /etc/gloves/secrets.env; re-run scripts/provision.sh --mqtt-password-file FILE)',
    MQTT_TLS: 'check mqtt.ca (the CA that signed the broker certificate) and that the URL host matches the certificate',
    MQTT_UNREACHABLE:
      'is the broker running and reachable from here (host, port, firewall)? the unit only allows LAN addresses unless provision.sh was told the broker',
    MQTT_REFUSED: 'check mqtt.protocolVersion and mqtt.clientId',
  };
  return result('mqtt', 'fail', e.message, hints[e.code] ?? 'check the mqtt section', e.code);
}

/** The HTTP API: off, or its address can be bound and (beyond loopback) its token is readable. */
export async function checkHttp(config: GlovesConfig): Promise<CheckResult> {
  const addr = parseListen(config.http.listen);
  if (addr === null) return result('http', 'skip', 'http: off (http.listen)');
  if (typeof addr === 'string') return result('http', 'fail', `http.listen: ${addr}`, 'give HOST:PORT or off', 'CONFIG_INVALID');
  const { host, port } = addr;
  const loopback = isLoopback(host);
  const { token, tokenFile } = config.http;
  const fileProblem = tokenFile === undefined ? null : unreadable(tokenFile);
  if (fileProblem || (!loopback && token === undefined && tokenFile === undefined))
    return result(
      'http',
      'fail',
      fileProblem ? `http.tokenFile ${tokenFile}: ${fileProblem}` : `listens on ${host}:${port} without a token`,
      'set the API token (scripts/provision.sh --api-token-file FILE) or listen on 127.0.0.1',
      'HTTP_NO_TOKEN',
    );
  const bound = await new Promise<string | null>((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    s.listen(port, host, () => s.close(() => resolve(null)));
  });
  if (bound)
    return result(
      'http',
      'fail',
      `cannot bind ${host}:${port} (${bound})`,
      bound === 'EADDRINUSE' ? 'another process (the running service?) holds the port' : 'check the http address',
      'HTTP_BIND',
    );
  const auth = token !== undefined || tokenFile !== undefined ? ', token set' : ', no token: read-only';
  return result('http', 'ok', `${host}:${port} can be bound${loopback ? ' (loopback)' : ''}${auth}`);
}

function unreadable(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim().length >= 16 ? null : 'holds no token of at least 16 characters';
  } catch (err) {
    return `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/** The gallery loads and was embedded with the configured embedder. */
export function checkGallery(config: GlovesConfig): CheckResult {
  const dir = config.gallery.dir;
  try {
    const em = findManifest(packagePath(config.models.manifestDir), config.models.embedder);
    const g = openGallery(dir, embedderModelId(em), silentLogger());
    const pets = g.pets();
    const names = pets.map((p) => `${p.name} (${p.photos.length})`).join(', ');
    return pets.length === 0
      ? result('gallery', 'warn', `${dir}: no pets enrolled`, `enrol: gloves enroll --gallery ${dir} --name NAME PHOTO...`)
      : result('gallery', 'ok', `${pets.length} pets: ${names}; embedder ${g.embedderModelId}`);
  } catch (err) {
    const { code } = GlovesError.from(err);
    if (code === 'GALLERY_NOT_FOUND')
      return result(
        'gallery',
        'warn',
        `no gallery at ${dir} yet`,
        `enrol: gloves enroll --gallery ${dir} --name NAME PHOTO... (or scripts/provision.sh --enrol DIR)`,
        code,
      );
    const hints: Record<string, string> = {
      GALLERY_MODEL_MISMATCH: `re-embed with the active embedder: gloves enroll --gallery ${dir} --reembed`,
      GALLERY_CORRUPT: `restore ${dir}/gallery.json from a backup, or move it away and enrol again`,
    };
    return fromError('gallery', err, hints, 'check models.embedder and gallery.dir');
  }
}

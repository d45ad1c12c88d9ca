/**
 * Fuzz targets for bytes from outside: images (vision/decode.ts), config files and GLOVES_*
 * environment overrides (config/load.ts), the service's secrets file (ops/envfile.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describeConfig } from '../../daemon/src/config/describe.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { parseEnvFile, quoteEnvValue } from '../../daemon/src/ops/envfile.js';
import { decodeImage, MAX_IMAGE_PIXELS } from '../../daemon/src/vision/decode.js';
import { broken, mutateDocument, scratch, type FuzzTarget } from './harness.js';

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG whose IHDR declares w x h (valid CRC), with the original tiny data. */
function pngDeclaring(png: Buffer, w: number, h: number): Buffer {
  const b = Buffer.from(png);
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
  return b;
}

/** A baseline JPEG whose SOF0 declares w x h. */
function jpegDeclaring(jpeg: Buffer, w: number, h: number): Buffer {
  const b = Buffer.from(jpeg);
  for (let i = 2; i < b.length - 9; i++)
    if (b[i] === 0xff && b[i + 1] === 0xc0) {
      b.writeUInt16BE(h, i + 5);
      b.writeUInt16BE(w, i + 7);
      break;
    }
  return b;
}

export const imageTarget: FuzzTarget = {
  name: 'image',
  codes: ['IMAGE_DECODE_FAILED', 'IMAGE_TOO_LARGE'],
  async seeds() {
    const base = (bg: string, w = 24, h = 16) => sharp({ create: { width: w, height: h, channels: 3, background: bg } });
    const jpeg = await base('#c84').jpeg().toBuffer();
    const png = await base('#48c').png().toBuffer();
    const frame2 = await base('#8c4').png().toBuffer();
    return [
      jpeg,
      await base('#c84').jpeg({ progressive: true }).toBuffer(),
      png,
      await sharp({ create: { width: 24, height: 16, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } })
        .png()
        .toBuffer(),
      await base('#888').greyscale().png().toBuffer(),
      await base('#f80').toColourspace('rgb16').png().toBuffer(), // 16-bit
      await base('#f80').toColourspace('cmyk').jpeg().toBuffer(), // CMYK
      await sharp([png, frame2], { join: { animated: true } })
        .gif()
        .toBuffer(), // animated GIF
      await sharp([png, frame2], { join: { animated: true } })
        .webp()
        .toBuffer(), // animated WebP
      await base('#4c8').webp().toBuffer(),
      await base('#4c8').tiff().toBuffer(),
      await base('#4c8').jpeg().withMetadata({ orientation: 6 }).toBuffer(), // EXIF rotation
      pngDeclaring(png, 100_000, 100_000), // huge declared dimensions
      pngDeclaring(png, 12_000, 12_000),
      jpegDeclaring(jpeg, 12_000, 12_000), // pads missing data: 432 MB without the pixel limit
      jpegDeclaring(jpeg, 0, 16), // zero size
      Buffer.alloc(0),
      Buffer.concat([Buffer.from('XPNG'), png.subarray(4)]), // wrong magic
      Buffer.from('GIF89a'),
    ];
  },
  mutate: (m, seeds) => m.bytes(m.pick(seeds), seeds),
  async feed(input) {
    const img = await decodeImage(input);
    if (!(img.width > 0 && img.height > 0)) broken(`decoded to ${img.width}x${img.height}`);
    if (img.width * img.height > MAX_IMAGE_PIXELS) broken(`decoded ${img.width}x${img.height}, over the pixel limit`);
    if (img.data.length !== img.width * img.height * 3) broken(`${img.data.length} bytes for ${img.width}x${img.height} RGB`);
    return 'ok';
  },
};

// ---------------------------------------------------------------- config

let configDir = '';
const CONFIG_SEED = {
  device: { id: 'hall', name: 'Hall', stateDir: '/var/lib/gloves' },
  camera: { uri: 'rtsp://user:pw@10.0.0.5:554/stream', name: 'hall', width: 640, height: 480, reconnect: { initialMs: 500, maxMs: 30000 } },
  gallery: { dir: '/var/lib/gloves/gallery' },
  mqtt: { url: 'mqtts://broker.lan:8883', username: 'gloves', password: 'p%40ss', reconnectSeconds: 2, protocolVersion: 5 },
  detection: { minScore: 0.3, nmsIou: 0.45, labels: ['cat', 'dog'] },
  tracking: { awayAfterSeconds: 300, minVotes: 3, visitors: { threshold: 0.45 } },
  motion: { enabled: true },
  http: { listen: '127.0.0.1:8080' },
  log: { level: 'info', summarySeconds: 60 },
};

export const configTarget: FuzzTarget = {
  name: 'config',
  codes: ['CONFIG_INVALID'],
  async setup() {
    configDir = scratch();
  },
  async seeds() {
    const json = JSON.stringify(CONFIG_SEED, null, 1);
    const yaml = [
      'device:',
      '  id: hall',
      'camera:',
      '  uri: "file:///tmp/clip.mp4"',
      'mqtt:',
      '  url: mqtt://127.0.0.1:1883',
      '  password: &pw secret',
      '  username: *pw',
      'tracking: {awayAfterSeconds: 120}',
      '',
    ].join('\n');
    // Billion laughs: alias expansion must be refused, not evaluated.
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    return [Buffer.from(json), Buffer.from(yaml), Buffer.from(laughs.join('\n') + '\n'), Buffer.from('['.repeat(500)), Buffer.from('')];
  },
  mutate: mutateDocument,
  async feed(input) {
    const file = join(configDir, 'gloves.yaml');
    writeFileSync(file, input);
    const c = loadConfig({ file });
    if (typeof c.camera.uri !== 'string' || typeof c.mqtt.url !== 'string') broken('config without camera.uri or mqtt.url');
    return 'ok';
  },
  async teardown() {
    rmSync(configDir, { recursive: true, force: true });
  },
};

// ---------------------------------------------------------------- environment overrides

/** Names the loader must not mistake for keys: Object.prototype's, as the env spelling makes them. */
const PROTOTYPE_NAMES = ['CONSTRUCTOR', 'TO_STRING', 'VALUE_OF', 'HAS_OWN_PROPERTY', 'IS_PROTOTYPE_OF', 'PROTO', '__PROTO__'];

/** Input: NAME=VALUE lines; the names start from real keys (and prototype names), the values from their defaults. */
export const envTarget: FuzzTarget = {
  name: 'config-env',
  codes: ['CONFIG_INVALID'],
  async seeds() {
    const keys = describeConfig();
    const lines = keys.map(
      (k) => `${k.env}=${k.default === undefined ? '' : typeof k.default === 'object' ? JSON.stringify(k.default) : String(k.default)}`,
    );
    const sections = [...new Set(keys.map((k) => k.env.split('__')[0]!))];
    const proto = sections.flatMap((sec) => PROTOTYPE_NAMES.map((p) => `${sec}__${p}=1`));
    return [
      Buffer.from(lines.join('\n')),
      Buffer.from(proto.join('\n')),
      Buffer.from(PROTOTYPE_NAMES.map((p) => `GLOVES_${p}__X=1`).join('\n')),
    ];
  },
  mutate(m, seeds) {
    const lines = Buffer.from(m.pick(seeds)).toString('utf8').split('\n');
    // A handful of variables, each maybe mangled in its name or its value.
    const chosen = Array.from({ length: 1 + m.int(4) }, () => m.pick(lines));
    return Buffer.from(chosen.map((l) => (m.int(3) === 0 ? l : Buffer.from(m.bytes(Buffer.from(l))).toString('utf8'))).join('\n'));
  },
  async feed(input) {
    const env: NodeJS.ProcessEnv = {};
    for (const line of Buffer.from(input).toString('utf8').split('\n')) {
      const eq = line.indexOf('=');
      const name = eq < 0 ? line : line.slice(0, eq);
      if (name.startsWith('GLOVES_') && !name.includes('\u0000')) env[name] = eq < 0 ? '' : line.slice(eq + 1);
    }
    const c = loadConfig({ env });
    if (typeof c.camera.uri !== 'string') broken('config without camera.uri');
    return 'ok';
  },
};

// ---------------------------------------------------------------- the secrets file

export const envFileTarget: FuzzTarget = {
  name: 'env-file',
  codes: ['ENV_FILE_INVALID', 'ENV_VALUE_INVALID'],
  async seeds() {
    return [
      Buffer.from('# secrets\nGLOVES_MQTT__PASSWORD="p\\"a\\$\\\\ss"\nGLOVES_HTTP__TOKEN=\'lit$eral\'\nPLAIN=bare value  \n'),
      Buffer.from('__proto__=x\nconstructor=y\nA=1\r\n; comment\n'),
    ];
  },
  mutate: (m, seeds) => m.bytes(m.pick(seeds), seeds),
  async feed(input) {
    const text = Buffer.from(input).toString('utf8');
    const vars = parseEnvFile(text, 'secrets.env');
    // Every NAME=VALUE line is there as its own key, and writing a value back reads it unchanged.
    for (const line of text.split('\n')) {
      const t = line.replace(/\r$/, '').trim();
      const name = t.slice(0, Math.max(0, t.indexOf('='))).trim();
      if (name && !t.startsWith('#') && !t.startsWith(';') && !Object.hasOwn(vars, name)) broken(`${name} was parsed but is not a key`);
    }
    for (const [name, value] of Object.entries(vars)) {
      const again = parseEnvFile(`${name}=${quoteEnvValue(value)}\n`, 'again.env');
      if (again[name] !== value) broken(`${name}: ${JSON.stringify(value)} does not survive quoting (${JSON.stringify(again[name])})`);
    }
    return 'ok';
  },
};

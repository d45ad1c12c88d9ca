import { z } from 'zod';

/**
 * An MQTT topic prefix: non-empty, no wildcards (+ #), no leading or trailing
 * '/', no empty level ('a//b'). Every topic the daemon builds starts with it.
 */
function topicPrefix(fallback: string) {
  return z
    .string()
    .default(fallback)
    .superRefine((t, ctx) => {
      const problem =
        t === ''
          ? 'must not be empty'
          : /[+#]/.test(t)
            ? 'must not contain the MQTT wildcards + or #'
            : t.startsWith('/') || t.endsWith('/')
              ? "must not start or end with '/'"
              : t.split('/').some((level) => level === '')
                ? "must not contain an empty level ('//')"
                : null;
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem}, got ${JSON.stringify(t)}` });
    });
}

export const gallerySection = z
  .strictObject({
    dir: z.string().default('.data/gallery').describe('Directory of the enrolled-pet gallery'),
  })
  .prefault({});

export const mqttSection = z
  .strictObject({
    url: z.string().default('mqtt://127.0.0.1:1883').describe('Broker URL: mqtt://, mqtts://, ws://, wss://'),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4).describe('4 = MQTT 3.1.1, 5 = MQTT 5'),
    username: z.string().optional().describe('Broker username'),
    password: z.string().optional().describe('Broker password'),
    clientId: z.string().optional().describe('Client id (default gloves_<deviceId>)'),
    ca: z.string().optional().describe('PEM file of the CA that signed the broker certificate'),
    cert: z.string().optional().describe('PEM client certificate (mutual TLS)'),
    key: z.string().optional().describe('PEM client key (mutual TLS)'),
    rejectUnauthorized: z.boolean().default(true).describe('Verify the broker certificate'),
    baseTopic: topicPrefix('gloves').describe('Topics live under <baseTopic>/<deviceId>'),
    discoveryPrefix: topicPrefix('homeassistant').describe('Home Assistant discovery prefix'),
    discovery: z.boolean().default(true).describe('Publish Home Assistant discovery'),
    keepaliveSeconds: z.number().int().min(0).max(65535).default(30).describe('MQTT keepalive'),
    reconnectSeconds: z.number().positive().default(2).describe('Delay between reconnect attempts'),
    connectTimeoutSeconds: z
      .number()
      .positive()
      .default(30)
      .describe('At startup, how long to wait for the broker before giving up (auth and TLS errors fail at once)'),
  })
  .prefault({});

export const deviceSection = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/, 'only letters, digits, _ and - are allowed')
      .default('gloves')
      .describe('Device id: topic segment and Home Assistant identifier'),
    name: z.string().default('Gloves').describe('Human-readable device name'),
    stateDir: z.string().default('.data/state').describe('Persistent state (outbox, pet states)'),
  })
  .prefault({});

export const trackingSection = z
  .strictObject({
    iouMatch: z.number().min(0).max(1).default(0.3).describe('Minimum IoU to continue a track'),
    maxMissedFrames: z.number().int().min(0).default(5).describe('Frames a track may go undetected'),
    appearanceGate: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Minimum embedding cosine for a detection to continue a track (0: IoU only)'),
    minVotes: z.number().int().min(1).default(3).describe('Frames of evidence before a track is named'),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Unused since track evidence is summed as log-likelihood ratios (tracking/voting.ts); accepted so that existing configs stay valid'),
    awayAfterSeconds: z.number().positive().default(60).describe('Seconds unseen before a pet is away'),
    unknownCooldownSeconds: z
      .number()
      .min(0)
      .default(60)
      .describe('An unknown animal fires unknown_seen again only after this long without any unknown sighting'),
    stateRefreshSeconds: z
      .number()
      .positive()
      .default(10)
      .describe('While a pet stays present, how often its retained state (last_seen) is refreshed'),
    snapshotIntervalSeconds: z
      .number()
      .positive()
      .default(2)
      .describe('Minimum time between two snapshot publications of one pet'),
  })
  .prefault({});

export const logSection = z
  .strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Minimum log level'),
    summarySeconds: z
      .number()
      .positive()
      .default(60)
      .describe('How often the daemon logs a one-line summary: frames, fps, camera state, memory (RSS, heap, external)'),
  })
  .prefault({});

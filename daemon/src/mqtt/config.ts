/** The `mqtt` config section. */
import { z } from 'zod';
import { brokerUrlProblem } from './url.js';

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

export const mqttSection = z
  .strictObject({
    url: z
      .string()
      .default('mqtt://127.0.0.1:1883')
      .superRefine((u, ctx) => {
        const problem = brokerUrlProblem(u);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Broker URL: mqtt://, mqtts://, ws://, wss://'),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .default(4)
      .describe('4 = MQTT 3.1.1, 5 = MQTT 5'),
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
    homeAssistant: z
      .strictObject({
        presenceDeviceClass: z
          .enum(['occupancy', 'presence'])
          .default('occupancy')
          .describe(
            'Device class of the pet presence sensor: occupancy ("Detected"/"Clear") for a camera that sees part of the house, ' +
              'presence ("Home"/"Away") only for a camera on the way in and out',
          ),
        eventMaxAgeSeconds: z
          .number()
          .positive()
          .default(120)
          .describe(
            'An event delivered later than this after it happened (outbox replay after an outage) carries "replayed": true ' +
              'and does not fire the Home Assistant event entities and device triggers',
          ),
        statsSeconds: z
          .number()
          .min(1)
          .default(10)
          .describe("How often the hub device's numbers (fps per camera, outbox depth, models) are published to <base>/stats"),
      })
      .prefault({}),
    keepaliveSeconds: z.number().int().min(0).max(65535).default(30).describe('MQTT keepalive'),
    reconnectSeconds: z.number().positive().default(2).describe('Delay between reconnect attempts'),
    connectTimeoutSeconds: z
      .number()
      .positive()
      .default(30)
      .describe('At startup, how long to wait for the broker before giving up (auth and TLS errors fail at once)'),
  })
  .prefault({});

export type MqttConfig = z.output<typeof mqttSection>;

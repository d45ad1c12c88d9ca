/**
 * mqtt.js client options from the config, and classification of connection
 * errors into "retry" (broker down, network, a broker that refuses for now:
 * server unavailable/busy, connection rate exceeded) and "fatal" (credentials,
 * protocol version, client id, ban, TLS trust, bad URL): a fatal error at
 * startup stops the daemon with its reason.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { GlovesError } from '../errors.js';
import { topics, type TopicConfig } from './topics.js';
import { brokerUrlProblem, redactUrl } from './url.js';

import type { MqttConfig } from './config.js';

export type { MqttConfig };

function readPem(path: string | undefined, key: 'ca' | 'cert' | 'key'): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GlovesError('MQTT_TLS_FILE', `mqtt.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      key,
      path,
    });
  }
}

export function topicConfig(mqtt: MqttConfig, deviceId: string): TopicConfig {
  return { baseTopic: mqtt.baseTopic, deviceId, discoveryPrefix: mqtt.discoveryPrefix };
}

export function clientOptions(mqtt: MqttConfig, deviceId: string): IClientOptions {
  // The schema already refused a bad URL; this guards callers that built a config by hand.
  const problem = brokerUrlProblem(mqtt.url);
  if (problem) throw new GlovesError('MQTT_URL', `mqtt.url: ${problem}`, { url: redactUrl(mqtt.url) });
  if ((mqtt.cert === undefined) !== (mqtt.key === undefined)) {
    throw new GlovesError('MQTT_TLS_FILE', 'mqtt.cert and mqtt.key must be given together (client certificate)', {});
  }
  const tc = topicConfig(mqtt, deviceId);
  const opts: IClientOptions = {
    protocolVersion: mqtt.protocolVersion,
    clientId: mqtt.clientId ?? `gloves_${deviceId}`,
    clean: true,
    keepalive: mqtt.keepaliveSeconds,
    reconnectPeriod: Math.round(mqtt.reconnectSeconds * 1000),
    // mqtt.js stops reconnecting after any refused CONNACK unless told otherwise;
    // a busy or restarting broker must be retried (fatal refusals end the client ourselves).
    reconnectOnConnackError: true,
    connectTimeout: Math.round(Math.min(mqtt.connectTimeoutSeconds, 30) * 1000),
    rejectUnauthorized: mqtt.rejectUnauthorized,
    will: { topic: topics.status(tc), payload: Buffer.from('offline'), qos: 1, retain: true },
  };
  if (mqtt.username !== undefined) opts.username = mqtt.username;
  if (mqtt.password !== undefined) opts.password = mqtt.password;
  const ca = readPem(mqtt.ca, 'ca');
  const cert = readPem(mqtt.cert, 'cert');
  const key = readPem(mqtt.key, 'key');
  if (ca) opts.ca = ca;
  if (cert) opts.cert = cert;
  if (key) opts.key = key;
  return opts;
}

/** CONNACK codes (3.1.1 return codes and v5 reason codes) that retrying cannot fix. */
const AUTH_CODES = new Set([4, 5, 134, 135, 140]);
const PROTOCOL_CODES = new Set([1, 132]);
const CLIENT_ID_CODES = new Set([2, 133]);
/** v5 138 "banned": an operator decision, not a transient condition. */
const BANNED_CODES = new Set([138]);
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
]);

/**
 * Pure: a typed error for a connection failure; `fatal` ones will not heal by retrying.
 * `neverConnected`: no connection to this broker has succeeded yet. A broker that is down refuses
 * (ECONNREFUSED); one that accepts the TCP connection and then resets it before any answer speaks
 * another protocol on that port: TLS to a plain listener, WebSocket to plain MQTT, or the reverse.
 */
export function classifyConnectError(err: unknown, url: string, neverConnected = false): { fatal: boolean; error: GlovesError } {
  const code = (err as { code?: unknown }).code;
  const msg = (err as Error).message ?? String(err);
  if (neverConnected && (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up|before secure TLS/i.test(msg))) {
    const scheme = url.slice(0, url.indexOf(':'));
    return {
      fatal: true,
      error: new GlovesError(
        'MQTT_PROTOCOL_MISMATCH',
        `broker ${url} reset the connection before answering (${typeof code === 'string' ? code : msg}): the port does not speak ` +
          `${scheme}://. A TLS (mqtts://) or WebSocket (ws://, wss://) client on a plain MQTT port, or plain mqtt:// on a TLS port, ` +
          'looks like this: check the scheme and port of mqtt.url',
        { url, reason: code ?? null },
      ),
    };
  }
  if (typeof code === 'number' && AUTH_CODES.has(code)) {
    return {
      fatal: true,
      error: new GlovesError(
        'MQTT_AUTH',
        `broker ${url} refused the credentials (${msg}; code ${code}): check mqtt.username/mqtt.password`,
        { url, reason: code },
      ),
    };
  }
  if (typeof code === 'number' && PROTOCOL_CODES.has(code)) {
    return {
      fatal: true,
      error: new GlovesError(
        'MQTT_REFUSED',
        `broker ${url} refused the protocol version (${msg}; code ${code}): check mqtt.protocolVersion`,
        { url, reason: code },
      ),
    };
  }
  if (typeof code === 'number' && CLIENT_ID_CODES.has(code)) {
    return {
      fatal: true,
      error: new GlovesError('MQTT_REFUSED', `broker ${url} rejected the client id (${msg}; code ${code}): check mqtt.clientId`, {
        url,
        reason: code,
      }),
    };
  }
  if (typeof code === 'number' && BANNED_CODES.has(code)) {
    return {
      fatal: true,
      error: new GlovesError('MQTT_REFUSED', `broker ${url} refused the connection (${msg}; code ${code})`, { url, reason: code }),
    };
  }
  if (typeof code === 'number') {
    // Server unavailable (3; 136), busy (137), connection rate exceeded (159) and
    // any other refusal: the broker is there but not taking us now; retry with the backoff.
    return {
      fatal: false,
      error: new GlovesError('MQTT_BROKER_UNAVAILABLE', `broker ${url} refused the connection for now (${msg}; code ${code}); retrying`, {
        url,
        reason: code,
      }),
    };
  }
  if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return {
      fatal: true,
      error: new GlovesError('MQTT_TLS', `TLS with broker ${url} failed (${code}: ${msg}): check mqtt.ca / mqtt.cert / mqtt.key`, {
        url,
        reason: code,
      }),
    };
  }
  return {
    fatal: false,
    error: new GlovesError('MQTT_UNREACHABLE', `broker ${url} is unreachable (${typeof code === 'string' ? code + ': ' : ''}${msg})`, {
      url,
      reason: code ?? null,
    }),
  };
}

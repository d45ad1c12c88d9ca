/**
 * The effective config as it may be shown (`gloves config show`, logs): the
 * broker password and the password inside the broker URL masked.
 */
import { redactUrl } from '../mqtt/url.js';
import type { GlovesConfig } from './schema.js';

export function redactConfig(cfg: GlovesConfig): GlovesConfig {
  const mqtt = { ...cfg.mqtt, url: redactUrl(cfg.mqtt.url) };
  if (mqtt.password !== undefined) mqtt.password = '***';
  return { ...cfg, mqtt };
}

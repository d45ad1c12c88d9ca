/**
 * The fuzz targets: every entry point that parses outside input, each with its seeds, its
 * mutation and what a correct answer is. A defect is anything but a correct answer or a typed
 * refusal: an untyped throw, an INTERNAL code, a code the entry point has no business raising,
 * an empty message, an "ok" whose result breaks the contract, or no answer within the timeout.
 *
 * - image: vision/decode.ts decodeImage (enrol, identify, the HTTP API);
 * - config, config-env: config/load.ts loadConfig on a file, and on GLOVES_* environment overrides;
 * - env-file: ops/envfile.ts, the service's secrets file (and quoting a value back);
 * - gallery: recognition/gallery openGallery on gallery.json;
 * - visitors: presence/visitor-store.ts, strict (the CLI) and lenient (the daemon: set aside);
 * - pet-states: presence/store.ts (set aside, never a throw);
 * - outbox: events/outbox.ts open() on a damaged log and ack file;
 * - ha-status: the MQTT payloads the daemon reads (homeassistant/status, its only subscription),
 *   published through a real Mosquitto to a real MqttConnection + HomeAssistantDiscovery.
 */
import { fuzz, type FuzzTarget } from './harness.js';
import { configTarget, envFileTarget, envTarget, imageTarget } from './input-targets.js';
import { galleryTarget, outboxTarget, petStatesTarget, visitorsTarget } from './file-targets.js';
import { haStatusTarget } from './mqtt-target.js';

export { fuzz };
export const targets: readonly FuzzTarget[] = [
  imageTarget,
  configTarget,
  envTarget,
  envFileTarget,
  galleryTarget,
  visitorsTarget,
  petStatesTarget,
  outboxTarget,
  haStatusTarget,
];

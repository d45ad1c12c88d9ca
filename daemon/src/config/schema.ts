/**
 * The single config schema: types, defaults, descriptions and validation all
 * come from here. `GlovesConfig` is derived from it, never written by hand.
 * Each section lives in its own file under ./sections, owned by one module.
 * (The HTTP API is on the roadmap; its section will be added with the server.)
 */
import { z } from 'zod';
import { cameraSection } from '../camera/config.js';
import { modelsSection, inferenceSection, detectionSection } from './sections/inference.js';
import { gallerySection, mqttSection, deviceSection, trackingSection, logSection } from './sections/daemon.js';
import { matchingSection } from './sections/matching.js';

export const configSchema = z.strictObject({
  device: deviceSection,
  camera: cameraSection,
  models: modelsSection,
  inference: inferenceSection,
  detection: detectionSection,
  matching: matchingSection,
  gallery: gallerySection,
  tracking: trackingSection,
  mqtt: mqttSection,
  log: logSection,
});

export type GlovesConfig = z.output<typeof configSchema>;
/** What a user may write in a config file: everything optional. */
export type GlovesConfigInput = z.input<typeof configSchema>;

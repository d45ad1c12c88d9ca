/**
 * The single config schema: types, defaults, descriptions and validation all
 * come from here. `GlovesConfig` is derived from it, never written by hand.
 * Each section lives beside the feature that owns it (camera/config.ts, ...);
 * this file only composes them. Features take their own section's type, so
 * config/ sits above them and nothing below imports it.
 */
import { z } from 'zod';
import { cameraSection, camerasSection, sectionConflicts } from '../camera/config.js';
import { httpSection } from '../http/config.js';
import { inferenceSection } from '../inference/config.js';
import { logSection } from '../log/config.js';
import { modelsSection } from '../models/config.js';
import { motionSection } from '../motion/config.js';
import { mqttSection } from '../mqtt/config.js';
import { detectionSection } from '../recognition/detection/config.js';
import { gallerySection } from '../recognition/gallery/config.js';
import { matchingSection } from '../recognition/matching/config.js';
import { deviceSection } from './device.js';
import { trackingSection } from '../tracking/config.js';

export const configSchema = z
  .strictObject({
    device: deviceSection,
    camera: cameraSection,
    cameras: camerasSection,
    models: modelsSection,
    inference: inferenceSection,
    detection: detectionSection,
    matching: matchingSection,
    gallery: gallerySection,
    tracking: trackingSection,
    motion: motionSection,
    mqtt: mqttSection,
    http: httpSection,
    log: logSection,
  })
  .check(
    // Sections are checked alone; this is the one rule across two of them. `when`: reported with the other problems, all at once.
    z.superRefine(
      (c, ctx) => {
        for (const [path, message] of sectionConflicts(c.camera, c.cameras))
          ctx.addIssue({ code: 'custom', path: ['camera', ...path], message });
      },
      { when: () => true },
    ),
  );

export type GlovesConfig = z.output<typeof configSchema>;
/** What a user may write in a config file: everything optional. */
export type GlovesConfigInput = z.input<typeof configSchema>;

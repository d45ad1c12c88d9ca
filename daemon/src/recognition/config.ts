/** The config sections the recognition core reads (a GlovesConfig satisfies it). */
import type { InferenceConfig } from '../inference/config.js';
import type { ModelsConfig } from '../models/config.js';
import type { DetectionConfig } from './detection/config.js';
import type { GalleryConfig } from './gallery/config.js';
import type { MatchingSectionConfig } from './matching/config.js';

export interface RecognitionConfig {
  models: ModelsConfig;
  inference: InferenceConfig;
  detection: DetectionConfig;
  matching: MatchingSectionConfig;
  gallery: GalleryConfig;
}

/**
 * Evaluation's public entry: datasets of photos per pet, the per-photo and
 * per-track protocols, the cross-validation across cats and the fitting of
 * the shipped statistics (gloves eval, gloves-trainer fit-stats).
 */
export {
  evaluateDataset,
  evaluateEmbedded,
  embedConfiguredDataset,
  summarize,
  type EvalResult,
  type QueryOutcome,
  type EvaluateDatasetOptions,
} from './evaluate.js';
export { listDataset, embedDataset, enrolmentIndices, type EmbeddedPhoto, type DatasetPet } from './dataset.js';
export { DEFAULT_RECIPE, fitRecipe, petsOf } from './crossval.js';
export { loadEmbeddedCache } from './embedded-cache.js';

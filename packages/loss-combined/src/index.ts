import 'reflect-metadata';

export { CombinedLoss } from './combined-loss.js';
export {
  combinedOptionsSchema,
  featureLayerSchema,
  imageInputSchema,
  extractorOptionSchema,
  DEFAULT_LAYERS,
  type CombinedOptions,
  type FeatureLayer,
} from './options.js';
export { FEATURE_EXTRACTOR, isFeatureExtractor, type FeatureExtractor, type FeatureExtractorLoader } from './feature-extractor.js';
export { LayersModelExtractor, type LayersModelExtractorOptions } from './extractors/layers-model-extractor.js';
export { layersModelExtractor, loadFeatureExtractor, extractorLoaderFor } from './extractors/extractor-cache.js';
export { loadMobileNetV2, MOBILENET_V2 } from './extractors/mobilenet-v2.js';
export { allowExtractorModels, clearAllowedExtractorModels, ExtractorModelNotAllowedError } from './extractors/model-allow-list.js';
export { featureDistance, unitNormalizeChannels, LPIPS_EPSILON } from './feature-distance.js';
export { constantFeatures } from './constant-features.js';
export { prepareImages, assertChannelsFit } from './prepare-images.js';
export { CombinedInputError, FeatureExtractorLoadError, FeatureExtractorNotReadyError } from './errors.js';
export { assertExtractorLayers, requireExtractor } from './extractor-checks.js';
export { PACKAGE } from './package-info.js';

import type * as tf from '@tensorflow/tfjs';
import type { CombinedOptions } from '../options.js';
import type { FeatureExtractor, FeatureExtractorLoader } from '../feature-extractor.js';
import { LayersModelExtractor, type LayersModelExtractorOptions } from './layers-model-extractor.js';
import { loadLayersModelFrom } from './load-layers-model.js';
import { loadMobileNetV2, MOBILENET_V2 } from './mobilenet-v2.js';
import { assertExtractorModelAllowed } from './model-allow-list.js';

// One extractor per configuration for the whole process: every resolution of `combined` with
// the same extractor option (each training step, each reloaded model) shares the loaded
// network instead of loading and holding it again. Failed loads are forgotten so a fixed file
// can be retried.
const loading = new Map<string, Promise<FeatureExtractor>>();
const fromInstances = new WeakMap<tf.LayersModel, Map<string, LayersModelExtractor>>();

export type ExtractorOption = CombinedOptions['extractor'];

/** A loader for the network the `extractor` option names; the same network for equal options. */
export function extractorLoaderFor(option: ExtractorOption): FeatureExtractorLoader {
  return {
    load: async () => {
      // The option is data (it may come from a saved file): a path or URL needs the application's leave.
      if (option.model !== MOBILENET_V2) assertExtractorModelAllowed(option.model);
      return loadCached(option);
    },
  };
}

function loadCached(option: ExtractorOption): Promise<FeatureExtractor> {
  const key = JSON.stringify([option.model, option.inputRange ?? null, option.minSize ?? null]);
  let pending = loading.get(key);
  if (!pending) {
    pending = loadUncached(option);
    loading.set(key, pending);
    pending.catch(() => loading.delete(key));
  }
  return pending;
}

async function loadUncached(option: ExtractorOption): Promise<FeatureExtractor> {
  if (option.model === MOBILENET_V2) {
    const mobilenet = await loadMobileNetV2();
    if (!option.inputRange && !option.minSize) return mobilenet;
    return new LayersModelExtractor(mobilenet.model, {
      description: mobilenet.description,
      inputRange: option.inputRange ?? mobilenet.inputRange,
      minSize: option.minSize ?? mobilenet.minSize,
    });
  }
  const model = await loadLayersModelFrom(option.model);
  return new LayersModelExtractor(model, {
    inputRange: option.inputRange,
    minSize: option.minSize,
    description: `layers model '${option.model}'`,
  });
}

/**
 * A FeatureExtractor over a model instance you hold (a VGG16 you converted, a tiny test
 * network); one per model and options, so registering it again reuses the truncated models.
 */
export function layersModelExtractor(model: tf.LayersModel, options: LayersModelExtractorOptions = {}): FeatureExtractor {
  let perOptions = fromInstances.get(model);
  if (!perOptions) fromInstances.set(model, (perOptions = new Map()));
  const key = JSON.stringify([options.inputRange ?? null, options.minSize ?? null, options.description ?? null]);
  let extractor = perOptions.get(key);
  if (!extractor) perOptions.set(key, (extractor = new LayersModelExtractor(model, options)));
  return extractor;
}

/** Loads a layers model from a path or URL as a FeatureExtractor (cached like the `extractor` option). */
export function loadFeatureExtractor(option: { model: string; inputRange?: [number, number]; minSize?: number }): Promise<FeatureExtractor> {
  return loadCached(option);
}

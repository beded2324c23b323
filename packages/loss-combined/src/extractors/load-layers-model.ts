import * as tf from '@tensorflow/tfjs';
import { FeatureExtractorLoadError } from '../errors.js';
import { localModelHandler } from './local-files.js';
import { assertConfinedWeightPath, isUrl } from './model-allow-list.js';

/** Loads a tfjs layers model from a URL (http/https) or a file path, with errors that say what failed. */
export async function loadLayersModelFrom(location: string): Promise<tf.LayersModel> {
  // Weight files are fetched relative to the model.json only: a URL cannot send us elsewhere.
  const handler = isUrl(location)
    ? tf.io.http(location, {
        weightUrlConverter: async (name: string) => {
          assertConfinedWeightPath(name, location);
          return new URL(name, location).href;
        },
      })
    : localModelHandler(location);
  try {
    return await tf.loadLayersModel(handler);
  } catch (error) {
    if (error instanceof FeatureExtractorLoadError) throw error;
    throw new FeatureExtractorLoadError(
      `Could not load the feature extractor model from '${location}': ${(error as Error).message}. ` +
        `The extractor.model option must name a tfjs layers model.json whose weight files sit beside it ` +
        `(a Keras model converted with tensorflowjs_converter, or one saved by model.save).`,
    );
  }
}

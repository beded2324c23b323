import type * as tf from '@tensorflow/tfjs';
import type { InjectionToken } from '@losskit/core';

/**
 * A frozen network that maps images to feature maps. Implementations never change their
 * weights and run in inference mode (BatchNorm uses its moving statistics).
 */
export interface FeatureExtractor {
  /** Says what it is, for error messages. */
  readonly description: string;
  /** Names of the layers extract() can return. */
  readonly layerNames: readonly string[];
  /** Channels the network takes (3 for RGB networks). */
  readonly inputChannels: number;
  /** Value range the network expects its input in. */
  readonly inputRange: readonly [number, number];
  /** Smallest height/width the network takes; smaller images are upsampled when allowed. */
  readonly minSize: number;
  /** Features of `images` ([batch, h, w, inputChannels]) at `layers`, in that order. */
  extract(images: tf.Tensor4D, layers: readonly string[]): tf.Tensor4D[];
}

/** Something that loads a FeatureExtractor, for networks that load asynchronously. */
export interface FeatureExtractorLoader {
  load(): Promise<FeatureExtractor>;
}

/**
 * DI token of the feature extractor of the `combined` loss. Register a FeatureExtractor (or a
 * FeatureExtractorLoader) under it on the container passed to `resolve(spec, { container })`
 * to use your own network; otherwise the plugin's default provider builds one from the
 * `extractor` option. A Symbol.for key, so two copies of this package agree on it.
 */
export const FEATURE_EXTRACTOR: InjectionToken<FeatureExtractor | FeatureExtractorLoader> = Symbol.for(
  'losskit.combined.featureExtractor',
);

export function isFeatureExtractor(value: unknown): value is FeatureExtractor {
  return typeof value === 'object' && value !== null && typeof (value as FeatureExtractor).extract === 'function';
}

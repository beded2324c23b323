import * as tf from '@tensorflow/tfjs';
import type { CombinedOptions } from './options.js';

/** Keeps the unit-normalisation finite where every channel is zero (ReLU features often are). */
export const LPIPS_EPSILON = 1e-10;

/** Per-sample distance between two feature maps [batch, h, w, c] of one layer. */
export function featureDistance(
  featuresTrue: tf.Tensor4D,
  featuresPred: tf.Tensor4D,
  normalization: CombinedOptions['normalization'],
): tf.Tensor1D {
  if (normalization === 'lpips') {
    const difference = tf.sub(unitNormalizeChannels(featuresTrue), unitNormalizeChannels(featuresPred));
    return tf.mean(tf.sum(tf.square(difference), 3), [1, 2]);
  }
  return tf.mean(tf.squaredDifference(featuresTrue, featuresPred), [1, 2, 3]);
}

/** x / ||x|| over the channel axis, at every position (LPIPS's normalize_tensor). */
export function unitNormalizeChannels(features: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(features, tf.rsqrt(tf.add(tf.sum(tf.square(features), 3, true), LPIPS_EPSILON)));
}

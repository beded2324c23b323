import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@losskit/core';
import type { FeatureExtractor } from './feature-extractor.js';
import type { CombinedOptions } from './options.js';

/**
 * Brings loss inputs to what the extractor takes: its value range, at least its minimum size,
 * its channel count. Works on the single grayscale channel first and repeats it last, so the
 * range map and the resize touch a third of the values.
 */
export function prepareImages(images: tf.Tensor4D, extractor: FeatureExtractor, input: CombinedOptions['input']): tf.Tensor4D {
  let x = mapRange(images, input.range, extractor.inputRange);
  x = resizeToMinimum(x, extractor.minSize, input.resize);
  const channels = x.shape[3];
  if (channels !== extractor.inputChannels) x = tf.tile(x, [1, 1, 1, extractor.inputChannels]);
  return x;
}

/** Throws unless images of this shape can be fed to the extractor. */
export function assertChannelsFit(shape: readonly number[], extractor: FeatureExtractor): void {
  const channels = shape[3];
  if (channels === extractor.inputChannels || channels === 1) return;
  throw new ShapeMismatchError(
    `Loss 'combined': the images have ${channels} channels, but the feature extractor (${extractor.description}) ` +
      `takes ${extractor.inputChannels}` +
      (extractor.inputChannels === 1 ? '' : ` (or 1: grayscale images are repeated to ${extractor.inputChannels} channels)`) +
      `. Convert the images, or use an extractor made for ${channels}-channel input.`,
  );
}

function mapRange(x: tf.Tensor4D, from: readonly [number, number], to: readonly [number, number]): tf.Tensor4D {
  if (from[0] === to[0] && from[1] === to[1]) return x;
  const scale = (to[1] - to[0]) / (from[1] - from[0]);
  return tf.add(tf.mul(tf.sub(x, from[0]), scale), to[0]);
}

function resizeToMinimum(x: tf.Tensor4D, minSize: number, allowed: boolean): tf.Tensor4D {
  const [, height, width] = x.shape;
  if (height >= minSize && width >= minSize) return x;
  if (!allowed) {
    throw new ShapeMismatchError(
      `Loss 'combined': the images are ${height}x${width}, smaller than the feature extractor's minimum ` +
        `${minSize}x${minSize}. Set the option input.resize to true to upsample them, or pass larger images.`,
    );
  }
  return tf.image.resizeBilinear(x, [Math.max(height, minSize), Math.max(width, minSize)]);
}

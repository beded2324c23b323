import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors.js';

/**
 * Keras 3 reductions. `mean` is Keras's alias of `sum_over_batch_size`.
 * - `sum_over_batch_size`: sum of weighted values / number of values
 * - `sum`: sum of weighted values
 * - `mean_with_sample_weight`: sum of weighted values / sum of the (broadcast) weights
 * - `none`: the weighted values themselves
 */
export const REDUCTIONS = ['sum_over_batch_size', 'sum', 'mean_with_sample_weight', 'none', 'mean'] as const;
export type Reduction = (typeof REDUCTIONS)[number];
export const DEFAULT_REDUCTION: Reduction = 'sum_over_batch_size';

export function isReduction(value: unknown): value is Reduction {
  return typeof value === 'string' && (REDUCTIONS as readonly string[]).includes(value);
}

/**
 * Reduces per-sample loss values. Sample weights of shape `[batch]` (or any prefix of the
 * values' shape, or the full shape) are broadcast over the trailing axes, as Keras does.
 */
export function reduceLoss(
  values: tf.Tensor,
  reduction: Reduction,
  sampleWeight?: tf.Tensor,
  lossName = 'loss',
): tf.Tensor {
  return tf.tidy(() => {
    const weights = sampleWeight ? alignSampleWeight(sampleWeight, values.shape, lossName) : undefined;
    const weighted = weights ? tf.mul(values, weights) : values;
    switch (reduction) {
      case 'none':
        return weighted;
      case 'sum':
        return tf.sum(weighted);
      case 'mean_with_sample_weight': {
        if (!weights) return tf.mean(weighted);
        const totalWeight = tf.sum(tf.broadcastTo(weights, values.shape));
        return tf.divNoNan(tf.sum(weighted), totalWeight);
      }
      case 'sum_over_batch_size':
      case 'mean':
        // divNoNan: an empty batch reduces to 0, as in Keras, instead of NaN.
        return tf.divNoNan(tf.sum(weighted), tf.scalar(values.size));
    }
  });
}

function alignSampleWeight(weight: tf.Tensor, valuesShape: readonly number[], lossName: string): tf.Tensor {
  let aligned = weight;
  // Keras accepts [batch, 1] weights for [batch] values.
  if (aligned.rank === valuesShape.length + 1 && aligned.shape[aligned.rank - 1] === 1) {
    aligned = tf.squeeze(aligned, [aligned.rank - 1]);
  }
  while (aligned.rank < valuesShape.length) aligned = tf.expandDims(aligned, -1);
  const fits =
    aligned.rank === valuesShape.length &&
    aligned.shape.every((dim, axis) => dim === valuesShape[axis] || dim === 1);
  if (!fits) {
    throw new ShapeMismatchError(
      `Loss '${lossName}': sample weights of shape [${weight.shape}] do not fit per-sample losses of ` +
        `shape [${valuesShape}]. Pass one weight per sample (shape [${valuesShape[0] ?? 0}]) ` +
        `or weights of shape [${valuesShape}].`,
    );
  }
  return tf.cast(aligned, 'float32');
}

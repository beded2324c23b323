import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors.js';
import { kerasMaskOf } from './catalog/mask.js';
import { broadcastShapes, sameRank } from './catalog/keras-ops.js';

/**
 * Keras 3 reductions (keras/src/losses/loss.py, `reduce_weighted_values`). `mean` is Keras's
 * alias of `sum_over_batch_size`.
 * - `sum_over_batch_size`: sum of the weighted values / number of weighted values
 * - `sum`: sum of the weighted values
 * - `mean_with_sample_weight`: sum of the weighted values / sum of the sample weights as given
 *   (after the rank fix-up below, not broadcast to the values' shape)
 * - `none`: the weighted values themselves
 */
export const REDUCTIONS = ['sum_over_batch_size', 'sum', 'mean_with_sample_weight', 'none', 'mean'] as const;
export type Reduction = (typeof REDUCTIONS)[number];
export const DEFAULT_REDUCTION: Reduction = 'sum_over_batch_size';

export function isReduction(value: unknown): value is Reduction {
  return typeof value === 'string' && (REDUCTIONS as readonly string[]).includes(value);
}

/**
 * Reduces per-sample loss values as Keras 3 does. Sample weights first meet Keras's rank
 * fix-up (`squeeze_or_expand_to_same_rank`: `[batch, 1]` weights on `[batch]` values make the
 * values `[batch, 1]`), then multiply with NumPy broadcasting (aligned from the last axis).
 * Extension: weights that NumPy broadcasting refuses but that are a prefix of the values' shape
 * (`[batch]` weights on `[batch, time]` values, batch != time) are broadcast per sample, as if
 * given as `[batch, 1]`; Keras raises an error for them. A mask the loss set (ignoreClass,
 * circle) is merged into the weights as Keras's `apply_mask` does. An empty batch reduces to 0.
 */
export function reduceLoss(
  values: tf.Tensor,
  reduction: Reduction,
  sampleWeight?: tf.Tensor,
  lossName = 'loss',
): tf.Tensor {
  return tf.tidy(() => reduceInScope(values, reduction, sampleWeight, lossName));
}

/**
 * `reduceLoss` without its own tidy scope, for callers already inside one (the resolved losses,
 * on every training step): the intermediates are freed by the caller's scope.
 */
export function reduceInScope(values: tf.Tensor, reduction: Reduction, sampleWeight: tf.Tensor | undefined, lossName: string): tf.Tensor {
  const mask = kerasMaskOf(values);
  let weights = sampleWeight ? toFloat32(sampleWeight) : undefined;
  if (mask) weights = mergeMask(weights, tf.cast(mask(), 'float32'), reduction, lossName);
  let weighted = values;
  if (weights) {
    [weighted, weights] = sameRank(values, weights);
    weighted = multiply(weighted, weights, lossName);
  }
  if (reduction === 'none' || weighted.rank === 0) return weighted;
  const total = tf.sum(weighted);
  if (reduction === 'sum') return total;
  if (reduction === 'mean_with_sample_weight' && weights) return divideNoNan(total, tf.sum(weights));
  // The count is a known number: a plain division is Keras's divide_no_nan whenever it is
  // non-zero, with one kernel on the tape instead of five (this runs on every training step).
  return weighted.size > 0 ? tf.div(total, weighted.size) : tf.zerosLike(total);
}

/** Keras's apply_mask: under a mean, valid entries weigh total / valid so the mean is over them. */
function mergeMask(weights: tf.Tensor | undefined, mask: tf.Tensor, reduction: Reduction, lossName: string): tf.Tensor {
  let floatMask = mask;
  if (reduction === 'mean' || reduction === 'sum_over_batch_size') {
    const validWeight = divideNoNan(tf.scalar(mask.size), tf.sum(mask));
    floatMask = tf.mul(mask, validWeight);
  }
  if (!weights) return floatMask;
  const [alignedMask, alignedWeights] = sameRank(floatMask, weights);
  return multiply(alignedWeights, alignedMask, lossName);
}

/** values * weights with NumPy broadcasting, or per sample where only that fits (the extension). */
function multiply(values: tf.Tensor, weights: tf.Tensor, lossName: string): tf.Tensor {
  if (broadcastShapes(values.shape, weights.shape)) return tf.mul(values, weights);
  const isPrefix = weights.rank < values.rank && weights.shape.every((dim, axis) => dim === values.shape[axis] || dim === 1);
  if (isPrefix) return tf.mul(values, tf.reshape(weights, [...weights.shape, ...values.shape.slice(weights.rank).map(() => 1)]));
  throw new ShapeMismatchError(
    `Loss '${lossName}': sample weights of shape [${weights.shape}] do not fit per-sample losses of ` +
      `shape [${values.shape}]. Pass one weight per sample (shape [${values.shape[0] ?? 0}]) ` +
      `or weights of shape [${values.shape}].`,
  );
}

// Keras divides "no nan": an empty batch or all-zero weights reduce to 0, not NaN. tf.divNoNan
// is not usable here: its gradient needs one for Equal, which TF.js does not have.
// The indicator goes through step (gradient 0) because a mask's count may depend on y_pred.
function divideNoNan(numerator: tf.Tensor, denominator: tf.Tensor): tf.Tensor {
  const nonZero = tf.step(tf.abs(denominator));
  const safeDenominator = tf.add(denominator, tf.sub(1, nonZero));
  return tf.mul(tf.div(numerator, safeDenominator), nonZero);
}

function toFloat32(weight: tf.Tensor): tf.Tensor {
  return weight.dtype === 'float32' ? weight : tf.cast(weight, 'float32');
}

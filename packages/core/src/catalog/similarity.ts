import * as tf from '@tensorflow/tfjs';
import { KERAS_EPSILON, maskedLogSumExp, positiveMask } from './keras-ops.js';
import { setKerasMask } from './mask.js';

// Keras 3's segmentation overlaps (dice, tversky) and the circle metric-learning loss
// (keras/src/losses/losses.py).

type Options = Record<string, unknown>;

/** Keras's `axis=None` sums over every axis, the batch too: one value for the whole batch. */
function sumOver(x: tf.Tensor, axis: number | number[] | null): tf.Tensor {
  return axis === null ? tf.sum(x) : tf.sum(x, axis);
}

export function dice(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const axis = options.axis as number | number[] | null;
  const intersection = sumOver(tf.mul(yTrue, yPred), axis);
  const denominator = tf.add(tf.add(sumOver(yTrue, axis), sumOver(yPred, axis)), KERAS_EPSILON);
  return tf.sub(1, tf.div(tf.mul(2, intersection), denominator));
}

export function tversky(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const { alpha, beta } = options as { alpha: number; beta: number };
  const axis = options.axis as number | number[] | null;
  const intersection = sumOver(tf.mul(yTrue, yPred), axis);
  const falsePositives = sumOver(tf.mul(tf.sub(1, yPred), yTrue), axis);
  const falseNegatives = sumOver(tf.mul(yPred, tf.sub(1, yTrue)), axis);
  const denominator = tf.add(tf.add(tf.add(intersection, tf.mul(falsePositives, alpha)), tf.mul(falseNegatives, beta)), KERAS_EPSILON);
  return tf.sub(1, tf.div(intersection, denominator));
}

/**
 * Circle loss over the batch's own pairs (Keras's ref_embeddings = y_pred, ref_labels =
 * y_true): y_true holds integer labels [batch], y_pred L2-normalised embeddings [batch, dim].
 */
export function circle(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const { gamma, margin } = options as { gamma: number; margin: number };
  const batch = yPred.shape[0]!;
  const labels = tf.reshape(tf.cast(yTrue, 'int32'), [-1, 1]);
  const distances = tf.maximum(tf.sub(1, tf.matMul(yPred, yPred, false, true)), 0);
  let positive = tf.equal(labels, tf.transpose(labels));
  const negative = tf.logicalNot(positive);
  if (options.removeDiagonal) positive = tf.logicalAnd(positive, tf.logicalNot(tf.cast(tf.eye(batch), 'bool')));
  const positiveF = tf.cast(positive, 'float32');
  const negativeF = tf.cast(negative, 'float32');
  const positiveWeights = tf.maximum(tf.mul(tf.add(margin, distances), positiveF), 0);
  const negativeWeights = tf.maximum(tf.mul(tf.sub(1 + margin, distances), negativeF), 0);
  const positiveTerms = tf.mul(tf.mul(-gamma, positiveWeights), tf.sub(margin, distances));
  const negativeTerms = tf.mul(tf.mul(gamma, negativeWeights), tf.sub(1 - margin, distances));
  const pLoss = maskedLogSumExp(positiveTerms, positive, 1);
  const nLoss = maskedLogSumExp(negativeTerms, negative, 1);
  const loss = tf.softplus(tf.add(pLoss, nLoss));
  // Keras masks the rows whose loss is 0 (no positive pair): the mean is over the others.
  setKerasMask(loss, () => positiveMask(loss));
  return loss;
}

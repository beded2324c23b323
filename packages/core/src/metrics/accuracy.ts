import * as tf from '@tensorflow/tfjs';
import type { MetricFn } from './mean-metric.js';
import { KERAS_EPSILON, sameRank } from './shapes.js';

// Keras 3's accuracy functions (keras/src/metrics/accuracy_metrics.py), element by element.

const matches = (a: tf.Tensor, b: tf.Tensor) => tf.cast(tf.equal(a, b), 'float32');

export const accuracy: MetricFn = (yTrue, yPred) => {
  const [t, p] = sameRank(tf.cast(yTrue, 'float32'), tf.cast(yPred, 'float32'));
  return matches(t, p);
};

export const binaryAccuracy = (threshold: number): MetricFn => (yTrue, yPred) => {
  const [t, p] = sameRank(tf.cast(yTrue, 'float32'), tf.cast(yPred, 'float32'));
  return matches(t, tf.cast(tf.greater(p, threshold), 'float32'));
};

/** One-hot targets have one column per class, as the predictions: any other shape would still argmax to a (wrong) answer. */
function assertOneHotShape(yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new Error('one-hot y_true must have the shape of y_pred, one column per class (integer labels: sparse-categorical-accuracy)');
  }
}

export const categoricalAccuracy: MetricFn = (yTrue, yPred) => {
  assertOneHotShape(yTrue, yPred);
  return matches(tf.argMax(yTrue, -1), tf.argMax(yPred, -1));
};

export const sparseCategoricalAccuracy: MetricFn = (yTrue, yPred) => {
  let labels = tf.cast(yTrue, 'float32');
  if (labels.rank === yPred.rank && labels.shape[labels.rank - 1] === 1) labels = tf.squeeze(labels, [-1]);
  const result = matches(labels, tf.cast(tf.argMax(yPred, -1), 'float32'));
  return result.rank > 1 && result.shape[result.rank - 1] === 1 ? tf.squeeze(result, [-1]) : result;
};

/**
 * Keras's `in_top_k` (JAX backend): the target's score ranks within the k best, where the rank
 * counts the scores strictly greater than it, so ties with the k-th score are inside.
 */
export const topKCategoricalAccuracy = (k: number): MetricFn => (yTrue, yPred) => {
  assertOneHotShape(yTrue, yPred);
  const classes = yPred.shape[yPred.rank - 1]!;
  const labels = tf.reshape(tf.argMax(yTrue, -1), [-1]);
  const scores = tf.reshape(yPred, [-1, classes]);
  const atLabel = tf.sum(tf.mul(scores, tf.oneHot(labels, classes)), -1, true);
  const safeAtLabel = tf.where(tf.isNaN(atLabel), tf.fill(atLabel.shape, -Infinity), atLabel);
  const rank = tf.add(1, tf.sum(tf.cast(tf.greater(scores, safeAtLabel), 'float32'), -1));
  const inTopK = tf.cast(tf.lessEqual(rank, k), 'float32');
  return yTrue.rank > 2 ? tf.reshape(inTopK, yTrue.shape.slice(0, -1)) : inTopK;
};

/** Keras's `cosine_similarity`: unit vectors (x * rsqrt(max(sum x^2, eps)) style) dotted over the last axis. */
export const cosineSimilarity: MetricFn = (yTrue, yPred) => {
  const [t, p] = sameRank(tf.cast(yTrue, 'float32'), tf.cast(yPred, 'float32'));
  const eps = KERAS_EPSILON;
  const unit = (x: tf.Tensor) => tf.mul(x, tf.minimum(tf.rsqrt(tf.sum(tf.square(x), -1, true)), 1 / eps));
  return tf.sum(tf.mul(unit(t), unit(p)), -1);
};

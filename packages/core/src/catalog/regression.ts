import * as tf from '@tensorflow/tfjs';
import { KERAS_EPSILON, absJax, l2Normalize, sameRank } from './keras-ops.js';

// Keras 3's regression, hinge and simple probabilistic losses (keras/src/losses/losses.py),
// each after LossFunctionWrapper's rank fix-up (sameRank), one value per sample over `axis`.

type Options = Record<string, unknown>;

export function meanSquaredError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  return tf.mean(tf.square(tf.sub(t, p)), -1);
}

export function meanAbsoluteError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  return tf.mean(absJax(tf.sub(t, p)), -1);
}

export function meanAbsolutePercentageError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  const diff = absJax(tf.div(tf.sub(t, p), tf.maximum(tf.abs(t), KERAS_EPSILON)));
  return tf.mul(100, tf.mean(diff, -1));
}

export function meanSquaredLogarithmicError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  // log(max(x, eps) + 1), as Keras writes it (not log1p: the float32 results differ).
  const logOf = (x: tf.Tensor) => tf.log(tf.add(tf.maximum(x, KERAS_EPSILON), 1));
  return tf.mean(tf.square(tf.sub(logOf(p), logOf(t))), -1);
}

export function cosineSimilarity(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const axis = options.axis as number;
  const [t, p] = sameRank(yTrue, yPred);
  return tf.neg(tf.sum(tf.mul(l2Normalize(t, axis), l2Normalize(p, axis)), axis));
}

export function huber(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const delta = options.delta as number;
  const [t, p] = sameRank(yTrue, yPred);
  const error = tf.sub(p, t);
  const absError = tf.abs(error);
  const quadratic = tf.mul(0.5, tf.square(error));
  const linear = tf.sub(tf.mul(delta, absError), 0.5 * delta * delta);
  // where(|e| <= delta, ...) as 1 - step(|e| - delta): TF.js has no gradient for LessEqual,
  // while step's is 0, as the condition's is in Keras.
  const isQuadratic = tf.sub(1, tf.step(tf.sub(absError, delta)));
  return tf.mean(tf.add(tf.mul(isQuadratic, quadratic), tf.mul(tf.sub(1, isQuadratic), linear)), -1);
}

export function logCosh(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  const x = tf.sub(p, t);
  return tf.mean(tf.sub(tf.add(x, tf.softplus(tf.mul(x, -2))), Math.fround(Math.LN2)), -1);
}

/**
 * Keras 3's convert_binary_labels_to_hinge: when every label of the batch is 0 or 1, they
 * become -1 and 1; otherwise they are used as given.
 */
function hingeLabels(yTrue: tf.Tensor): tf.Tensor {
  const isBinary = tf.all(tf.logicalOr(tf.equal(yTrue, 0), tf.equal(yTrue, 1)));
  // t + b * (t - 1) is 2t - 1 when b = 1 and t when b = 0, without a data-dependent branch.
  return tf.add(yTrue, tf.mul(tf.cast(isBinary, 'float32'), tf.sub(yTrue, 1)));
}

export function hinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  return tf.mean(tf.maximum(tf.sub(1, tf.mul(hingeLabels(t), p)), 0), -1);
}

export function squaredHinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  return tf.mean(tf.square(tf.maximum(tf.sub(1, tf.mul(hingeLabels(t), p)), 0)), -1);
}

export function categoricalHinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  const positive = tf.sum(tf.mul(t, p), -1);
  const negative = tf.max(tf.mul(tf.sub(1, t), p), -1);
  return tf.maximum(tf.add(tf.sub(negative, positive), 1), 0);
}

export function klDivergence(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t0, p0] = sameRank(yTrue, yPred);
  // Keras 3 multiplies by the clipped y_true (TF.js by the raw one).
  const t = tf.clipByValue(t0, KERAS_EPSILON, 1);
  const p = tf.clipByValue(p0, KERAS_EPSILON, 1);
  return tf.sum(tf.mul(t, tf.log(tf.div(t, p))), -1);
}

export function poisson(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [t, p] = sameRank(yTrue, yPred);
  return tf.mean(tf.sub(p, tf.mul(t, tf.log(tf.add(p, KERAS_EPSILON)))), -1);
}

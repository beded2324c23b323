import * as tf from '@tensorflow/tfjs';
import { KERAS_EPSILON, sameRank } from './keras-ops.js';
import { setKerasMask } from './mask.js';

// Keras 3's cross-entropies: the loss functions of keras/src/losses/losses.py over the JAX
// backend's ops (keras/src/backend/jax/nn.py), which clip probabilities to [eps, 1 - eps].

type Options = Record<string, unknown>;

const clipProbability = (x: tf.Tensor) => tf.clipByValue(x, KERAS_EPSILON, 1 - KERAS_EPSILON);

/** ops.binary_crossentropy, element-wise. */
function binaryCrossentropyElements(target: tf.Tensor, output: tf.Tensor, fromLogits: boolean): tf.Tensor {
  if (fromLogits) {
    // jax.nn.log_sigmoid(x) is -softplus(-x)
    const logSigmoid = (x: tf.Tensor) => tf.neg(tf.softplus(tf.neg(x)));
    return tf.sub(tf.neg(tf.mul(target, logSigmoid(output))), tf.mul(tf.sub(1, target), logSigmoid(tf.neg(output))));
  }
  const clipped = clipProbability(output);
  const bce = tf.add(tf.mul(target, tf.log(clipped)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, clipped))));
  return tf.neg(bce);
}

/** ops.categorical_crossentropy's log-probabilities along `axis`. */
function logProbabilities(output: tf.Tensor, fromLogits: boolean, axis: number): tf.Tensor {
  if (fromLogits) return tf.logSoftmax(output, axis);
  return tf.log(clipProbability(tf.div(output, tf.sum(output, axis, true))));
}

function smoothBinary(t: tf.Tensor, labelSmoothing: number): tf.Tensor {
  return labelSmoothing ? tf.add(tf.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing) : t;
}

function smoothCategorical(t: tf.Tensor, labelSmoothing: number): tf.Tensor {
  // Keras counts the classes on the last axis, whatever `axis` is.
  const classes = t.shape[t.rank - 1]!;
  return labelSmoothing ? tf.add(tf.mul(t, 1 - labelSmoothing), labelSmoothing / classes) : t;
}

export function binaryCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const [t0, p] = sameRank(yTrue, yPred);
  const t = smoothBinary(t0, options.labelSmoothing as number);
  return tf.mean(binaryCrossentropyElements(t, p, options.fromLogits as boolean), options.axis as number);
}

export function binaryFocalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const { alpha, gamma } = options as { alpha: number; gamma: number };
  const [t0, p0] = sameRank(yTrue, yPred);
  const t = smoothBinary(t0, options.labelSmoothing as number);
  const p = options.fromLogits ? tf.sigmoid(p0) : p0;
  const bce = binaryCrossentropyElements(t, p, false);
  const oneMinusT = tf.sub(1, t);
  const pT = tf.add(tf.mul(t, p), tf.mul(oneMinusT, tf.sub(1, p)));
  let focal = tf.mul(tf.pow(tf.sub(1, pT), gamma), bce);
  if (options.applyClassBalancing) focal = tf.mul(tf.add(tf.mul(t, alpha), tf.mul(oneMinusT, 1 - alpha)), focal);
  return tf.mean(focal, options.axis as number);
}

export function categoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const axis = options.axis as number;
  const [t0, p] = sameRank(yTrue, yPred);
  const t = smoothCategorical(t0, options.labelSmoothing as number);
  return tf.neg(tf.sum(tf.mul(t, logProbabilities(p, options.fromLogits as boolean, axis)), axis));
}

export function categoricalFocalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const { alpha, gamma } = options as { alpha: number; gamma: number };
  const axis = options.axis as number;
  const [t0, p0] = sameRank(yTrue, yPred);
  const t = smoothCategorical(t0, options.labelSmoothing as number);
  const p = options.fromLogits ? tf.softmax(p0, axis) : p0;
  const output = clipProbability(tf.div(p, tf.sum(p, axis, true)));
  const cce = tf.neg(tf.mul(t, tf.log(output)));
  const weighting = tf.mul(tf.pow(tf.sub(1, output), gamma), alpha);
  return tf.sum(tf.mul(weighting, cce), axis);
}

/** Integer labels of shape y_pred.shape[:-1] (a trailing axis of 1 squeezed), as float. */
function sparseLabels(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const squeezed = yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1 ? tf.squeeze(yTrue, [yTrue.rank - 1]) : yTrue;
  return squeezed;
}

export function sparseCategoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const ignoreClass = options.ignoreClass as number | null;
  const classes = yPred.shape[yPred.rank - 1]!;
  let labels = sparseLabels(yTrue, yPred);
  let p = yPred;
  let valid: tf.Tensor | undefined;
  if (ignoreClass !== null) {
    valid = tf.notEqual(labels, ignoreClass);
    labels = tf.where(valid, labels, tf.zerosLike(labels));
    // Keras puts 0 there; 1 gives the same values (those rows are set to 0 below) without the
    // 0 / 0 whose NaN TF.js's where-gradient (a product with the mask) would pass on.
    p = tf.where(tf.tile(tf.expandDims(valid, -1), [...valid.shape.map(() => 1), classes]), p, tf.onesLike(p));
  }
  // jnp.array(target, dtype="int32") truncates toward zero.
  const oneHot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), classes).reshape(p.shape);
  const result = tf.neg(tf.sum(tf.mul(oneHot, logProbabilities(p, options.fromLogits as boolean, -1)), -1));
  if (!valid || ignoreClass === null) return result;
  const masked = tf.where(valid, result, tf.zerosLike(result));
  // Keras sets the valid entries as the loss's mask, which the reduction then honours. The mask
  // is rebuilt from the caller's y_true when the reduction asks: no tensor outlives this call.
  const valuesShape = masked.shape;
  const ignored: number = ignoreClass;
  setKerasMask(masked, () => tf.reshape(tf.notEqual(sparseLabels(yTrue, yPred), ignored), valuesShape));
  return masked;
}

export function categoricalGeneralizedCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: Options): tf.Tensor {
  const q = options.q as number;
  const classes = yPred.shape[yPred.rank - 1]!;
  const oneHot = tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), classes).reshape(yPred.shape);
  const p = tf.sum(tf.mul(yPred, oneHot), -1);
  return tf.div(tf.sub(1, tf.pow(p, q)), q);
}

import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../errors.js';

// Small ports of the Keras 3 helpers the losses are written with, so each loss file reads like
// its Keras source (keras/src/losses/losses.py, keras/src/backend/jax/nn.py).

/**
 * Keras's `backend.epsilon()`. A constant, not `tf.backend().epsilon()`: that is 1e-4 on a
 * WebGL backend without float32 textures, which would change every clipped loss.
 */
export const KERAS_EPSILON = 1e-7;

/**
 * Keras's `squeeze_or_expand_to_same_rank(x1, x2)`: where the ranks differ by exactly one and
 * the longer one ends in 1, a rank-1 partner is expanded (expand_rank_1) and any other squeezed.
 */
export function sameRankShapes(a: readonly number[], b: readonly number[]): [number[], number[]] {
  let x1 = [...a];
  let x2 = [...b];
  if (x1.length === x2.length + 1 && x1[x1.length - 1] === 1) {
    if (x2.length === 1) x2 = [...x2, 1];
    else x1 = x1.slice(0, -1);
  }
  if (x2.length === x1.length + 1 && x2[x2.length - 1] === 1) {
    if (x1.length === 1) x1 = [...x1, 1];
    else x2 = x2.slice(0, -1);
  }
  return [x1, x2];
}

/** The tensor form of sameRankShapes (reshapes only; no copy of the data). */
export function sameRank(a: tf.Tensor, b: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [shapeA, shapeB] = sameRankShapes(a.shape, b.shape);
  return [reshapeIfNeeded(a, shapeA), reshapeIfNeeded(b, shapeB)];
}

function reshapeIfNeeded(x: tf.Tensor, shape: number[]): tf.Tensor {
  return shape.length === x.rank ? x : tf.reshape(x, shape);
}

/** NumPy broadcasting of two shapes (aligned from the last axis), or undefined where it fails. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * The check LossFunctionWrapper implies: after Keras's rank fix-up, y_true and y_pred must have
 * one shape. (Keras would broadcast other shapes silently; losskit refuses them.)
 */
export function assertSameShapeAfterRankFix(lossName: string, yTrue: readonly number[], yPred: readonly number[]): void {
  const [t, p] = sameRankShapes(yTrue, yPred);
  if (t.length === p.length && t.every((dim, i) => dim === p[i])) return;
  throw new ShapeMismatchError(
    `Loss '${lossName}': y_true has shape [${yTrue}] but y_pred has shape [${yPred}]. They must match ` +
      `(a trailing axis of 1 on either side is squeezed or added, as Keras does): check that the model's ` +
      `last layer has as many units as the targets have values.`,
  );
}

/**
 * The axis a (possibly negative) axis option refers to, checked against the rank.
 * `defaultAxis` gives the loss's default for the message (read only when refusing): -1, the
 * class axis, for most losses; null, every axis, for dice and tversky.
 */
export function canonicalAxis(lossName: string, axis: number, rank: number, defaultAxis: () => unknown = () => -1): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || resolved < 0 || resolved >= rank) {
    throw new ShapeMismatchError(`Loss '${lossName}': axis ${axis} is out of range for inputs of rank ${rank}.`);
  }
  if (resolved === 0 && rank > 1) {
    throw new ShapeMismatchError(
      `Loss '${lossName}': axis ${axis} is the batch axis; losskit computes one value per sample, so the ` +
        `reduced axis must be another one (${describeDefaultAxis(defaultAxis())}).`,
    );
  }
  return resolved;
}

function describeDefaultAxis(axis: unknown): string {
  if (axis === null) {
    return "e.g. [1, 2, 3] for images [batch, height, width, channels]; the default, null like Keras's None, sums over every axis including the batch, giving one value per batch";
  }
  return `the default, ${JSON.stringify(axis)}, is the class axis`;
}

/** jnp.logaddexp: max + log1p(exp(-|a - b|)). */
export function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const max = tf.maximum(a, b);
  return tf.add(max, tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))));
}

/**
 * `logsumexp(where(mask, x, -inf), axis)`: -inf for a row with nothing selected, and no NaN in
 * the value or the gradient (the unselected entries never reach exp).
 */
export function maskedLogSumExp(x: tf.Tensor, mask: tf.Tensor, axis: number): tf.Tensor {
  const selected = tf.where(mask, x, tf.fill(x.shape, -Infinity));
  // The shift cancels in the gradient; an empty row's is a finite stand-in so exp sees no NaN.
  const shift = tf.max(tf.where(mask, x, tf.fill(x.shape, -FLOAT32_MAX)), axis, true);
  const summed = tf.sum(tf.exp(tf.sub(selected, shift)), axis);
  // log of an empty row's 0 would send NaN back through the gradient; it is -inf by definition.
  const nonEmpty = positiveMask(summed);
  const logSum = tf.log(tf.where(nonEmpty, summed, tf.onesLike(summed)));
  return tf.where(nonEmpty, tf.add(logSum, tf.squeeze(shift, [axis])), tf.fill(summed.shape, -Infinity));
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * x > 0 as a boolean tensor that may sit on a gradient path: TF.js has no gradient for
 * comparisons (Greater, LessEqual, ...), while step's is 0, as a condition's is in Keras.
 */
export function positiveMask(x: tf.Tensor): tf.Tensor {
  return tf.cast(tf.step(x), 'bool');
}

/**
 * |x| with JAX's subgradient at 0 (+1, where TF.js's Abs gives -1), so gradients at y_pred ==
 * y_true match Keras: x * sign, the sign through step (gradient 0).
 */
export function absJax(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sub(1, tf.mul(2, tf.step(tf.neg(x)))));
}

/** Keras's ops.nn.normalize with order 2: x * min(rsqrt(sum(x^2)), 1 / epsilon). */
export function l2Normalize(x: tf.Tensor, axis: number): tf.Tensor {
  const inverseNorm = tf.minimum(tf.rsqrt(tf.sum(tf.square(x), axis, true)), 1 / KERAS_EPSILON);
  return tf.mul(x, inverseNorm);
}

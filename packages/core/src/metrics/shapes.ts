import * as tf from '@tensorflow/tfjs';

/**
 * Keras's `squeeze_or_expand_to_same_rank`: when two ranks differ by one and the longer has a
 * trailing 1, drop it (or, for a rank-1 partner, give the partner a trailing 1).
 */
export function sameRank(x1: tf.Tensor, x2: tf.Tensor, expandRank1 = true): [tf.Tensor, tf.Tensor] {
  if (x1.rank === x2.rank) return [x1, x2];
  if (x1.rank === x2.rank + 1 && x1.shape[x1.rank - 1] === 1) {
    return x2.rank === 1 && expandRank1 ? [x1, tf.expandDims(x2, -1)] : [tf.squeeze(x1, [-1]), x2];
  }
  if (x2.rank === x1.rank + 1 && x2.shape[x2.rank - 1] === 1) {
    return x1.rank === 1 && expandRank1 ? [tf.expandDims(x1, -1), x2] : [x1, tf.squeeze(x2, [-1])];
  }
  return [x1, x2];
}

/** Axes from `from` to the last, for reducing everything after the batch (or after the weight's rank). */
export function axesFrom(from: number, rank: number): number[] {
  return Array.from({ length: Math.max(0, rank - from) }, (_, i) => from + i);
}

/** Keras's `backend.epsilon()`; fixed, since a TF.js backend's epsilon depends on its float precision. */
export const KERAS_EPSILON = 1e-7;

import type * as tf from '@tensorflow/tfjs';

/**
 * Keras's `backend.set_keras_mask` for per-sample losses: a loss whose values carry a mask
 * (sparse categorical cross-entropy with `ignoreClass`, circle) has it honoured by the
 * reduction, as Keras's `reduce_weighted_values` does. The mask is a function that builds a
 * fresh boolean tensor of the values' shape when asked, so no tensor is kept alive for it.
 */
const masks = new WeakMap<tf.Tensor, () => tf.Tensor>();

export function setKerasMask(values: tf.Tensor, mask: () => tf.Tensor): void {
  masks.set(values, mask);
}

export function kerasMaskOf(values: tf.Tensor): (() => tf.Tensor) | undefined {
  return masks.get(values);
}

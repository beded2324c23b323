import * as tf from '@tensorflow/tfjs';

// Keras 3's gradient clipping (keras/src/optimizers/base_optimizer.py `_clip_gradients`).
// Each runs inside the caller's tidy.

/** Each gradient scaled to an L2 norm of at most `clipnorm`: g * clipnorm / max(||g||, clipnorm). */
export function clipByNorm(grads: tf.Tensor[], clipnorm: number): tf.Tensor[] {
  return grads.map((g) => {
    const l2sum = tf.sum(tf.square(g));
    // Keras's two-tap where: a zero gradient keeps a zero norm, and no NaN from sqrt's gradient.
    const positive = tf.greater(l2sum, 0);
    const norm = tf.where(positive, tf.sqrt(tf.where(positive, l2sum, tf.onesLike(l2sum))), l2sum);
    return tf.div(tf.mul(g, clipnorm), tf.maximum(norm, clipnorm));
  });
}

/**
 * All gradients scaled together so that their joint L2 norm is at most `clipnorm`; a
 * non-finite norm makes every gradient NaN (as Keras), which the trainer's guard then meets.
 */
export function clipByGlobalNorm(grads: tf.Tensor[], clipnorm: number): tf.Tensor[] {
  const norm = tf.sqrt(tf.sum(tf.stack(grads.map((g) => tf.sum(tf.square(g))))));
  const scaleForFinite = tf.mul(clipnorm, tf.minimum(tf.div(1, norm), 1 / clipnorm));
  const scale = tf.add(scaleForFinite, tf.sub(norm, norm));
  return grads.map((g) => tf.mul(g, scale));
}

export function clipByValue(grads: tf.Tensor[], clipvalue: number): tf.Tensor[] {
  return grads.map((g) => tf.clipByValue(g, -clipvalue, clipvalue));
}

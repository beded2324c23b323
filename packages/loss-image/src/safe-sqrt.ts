import * as tf from '@tensorflow/tfjs';

/**
 * sqrt(x) for x >= 0 whose gradient is 0 at x = 0 instead of Infinity. tf.sqrt's gradient
 * 0.5 / sqrt(x) is Infinity there, and the chain rule then multiplies it by the zero gradient
 * of a sum of squares: NaN for every constant image under the isotropic total variation.
 */
export function safeSqrt(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((value: tf.Tensor, save: (tensors: tf.Tensor[]) => void) => {
    const root = tf.sqrt(value);
    save([root]);
    return {
      value: root,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const positive = tf.greater(saved!, 0);
        const safe = tf.where(positive, saved!, tf.onesLike(saved!));
        return tf.where(positive, tf.div(tf.mul(dy, 0.5), safe), tf.zerosLike(dy));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor;
}

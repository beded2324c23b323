import * as tf from '@tensorflow/tfjs';

/**
 * relu(x) ** exponent with a gradient that is finite everywhere. tf.pow's gradient at a base
 * of 0 is exponent * 0 ** (exponent - 1) = Infinity for exponents below 1, and relu's zero
 * gradient times Infinity is NaN: the NaN that MS-SSIM implementations report when a contrast
 * term is clipped at 0. Here the gradient is 0 where relu(x) is 0, and the exact derivative
 * elsewhere; values are exactly relu(x) ** exponent.
 */
export function reluPow(x: tf.Tensor, exponent: number): tf.Tensor {
  if (exponent === 1) return tf.relu(x);
  const op = tf.customGrad(((base: tf.Tensor, save: (tensors: tf.Tensor[]) => void) => {
    const positive = tf.relu(base);
    save([positive]);
    return {
      value: tf.pow(positive, exponent),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const isPositive = tf.greater(saved!, 0);
        // 1 where the base is 0, so the power below is finite; masked out afterwards.
        const safeBase = tf.where(isPositive, saved!, tf.onesLike(saved!));
        const derivative = tf.mul(tf.pow(safeBase, exponent - 1), exponent);
        return tf.where(isPositive, tf.mul(dy, derivative), tf.zerosLike(dy));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor;
}

/**
 * |x| with the gradient sign(x), 0 at x = 0 as in TensorFlow, PyTorch and JAX. tfjs's Abs
 * gradient is step(x, -1), i.e. -1 at exactly 0: a perfect prediction (or a flat region of an
 * image under total variation) would still be pushed.
 */
export function absZeroAtZero(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((value: tf.Tensor, save: (tensors: tf.Tensor[]) => void) => {
    save([value]);
    return { value: tf.abs(value), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.sign(saved!)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor;
}

import * as tf from '@tensorflow/tfjs';
import { LOSS_OPTIONS, RegisterLoss, inject, z, type LossPlugin, type OptionsOf } from '@losskit/core';
import { PACKAGE } from './package-info.js';

/** Options of 'huber': the point where the loss turns from quadratic to linear. */
export const huberOptions = z.object({
  delta: z.number().positive().default(1.0).describe('Where the loss turns from quadratic to linear; > 0.'),
});
export type HuberOptions = OptionsOf<typeof huberOptions>;

/**
 * Huber loss, per sample: the mean over the last axis of
 *   0.5 * e^2                     where |e| <= delta
 *   delta * (|e| - 0.5 * delta)   where |e| >  delta
 * with e = y_pred - y_true. Quadratic near zero (smooth gradients), linear for outliers.
 */
@RegisterLoss({
  name: 'huber',
  aliases: ['smooth-l1'],
  description: 'Huber loss: quadratic for errors up to delta, linear beyond; mean over the last axis.',
  options: huberOptions,
  coreApi: '^1.0.0',
  package: PACKAGE,
  // 'huber' is Keras 3's loss in @losskit/core's catalog; this plugin replaces it on purpose
  // once imported (registry.describe('huber').overrides says so). Its math is Keras's too.
  override: true,
})
export class HuberLoss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: HuberOptions) {}

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const { delta } = this.options;
    const absError = tf.abs(tf.sub(yPred, yTrue));
    // Splitting |e| into a part up to delta and the rest gives both branches without a
    // select, so the gradient is continuous at |e| = delta (Keras writes it the same way).
    const quadratic = tf.minimum(absError, delta);
    const linear = tf.sub(absError, quadratic);
    return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)), -1);
  }
}

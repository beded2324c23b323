import * as tf from '@tensorflow/tfjs';
import { inject, LOSS_OPTIONS, RegisterLoss, ShapeMismatchError, z, type LossPlugin } from '@losskit/core';
import { REGISTRATION } from './package-info.js';

export const charbonnierOptionsSchema = z.object({
  /** The smoothing constant: quadratic for |x - y| << eps, linear (L1-like) beyond; at least 1e-6 so eps^2 stays a normal float32. */
  eps: z.number().min(1e-6).default(1e-3),
  /**
   * 'sqrt' (default): sqrt((x - y)^2 + eps^2), the form image restoration trains with (LapSRN,
   * EDVR, MPRNet; eps 1e-3). 'barron': sqrt((x - y)^2 + eps^2) - eps, which is 0 at x = y
   * (Barron 2019 scaled by eps; eps 1 gives kornia.losses.charbonnier_loss).
   */
  form: z.enum(['sqrt', 'barron']).default('sqrt'),
});
export type CharbonnierOptions = z.output<typeof charbonnierOptionsSchema>;

/** Mean Charbonnier penalty per sample, over every axis but the batch axis (any shape). */
@RegisterLoss({
  name: 'charbonnier',
  aliases: ['l1-charbonnier', 'pseudo-huber-l1'],
  description: 'Mean of sqrt((y_true - y_pred)^2 + eps^2) per sample (form "barron" subtracts eps); any shape, batch first.',
  options: charbonnierOptionsSchema,
  ...REGISTRATION,
})
export class CharbonnierLoss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: CharbonnierOptions) {}

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    if (yTrue.length !== yPred.length || yTrue.some((dim, i) => dim !== yPred[i]) || yPred.length < 2) {
      throw new ShapeMismatchError(
        `Loss 'charbonnier': y_true [${yTrue}] and y_pred [${yPred}] must have the same shape, batch first, with at least one axis after the batch.`,
      );
    }
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const { eps, form } = this.options;
    const axes = Array.from({ length: yPred.rank - 1 }, (_, i) => i + 1);
    // Never sqrt(0): eps^2 > 0 keeps the value and the gradient d / sqrt(d^2 + eps^2) finite.
    const penalty = tf.sqrt(tf.add(tf.squaredDifference(yTrue, yPred), eps * eps));
    const mean = tf.mean(penalty, axes);
    return form === 'barron' ? tf.sub(mean, eps) : mean;
  }
}

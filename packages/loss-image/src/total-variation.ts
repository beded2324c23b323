import * as tf from '@tensorflow/tfjs';
import { inject, LOSS_OPTIONS, RegisterLoss, ShapeMismatchError, z, type LossPlugin } from '@losskit/core';
import { absZeroAtZero, assertImagePair } from '@losskit/loss-ssim';
import { REGISTRATION } from './package-info.js';
import { safeSqrt } from './safe-sqrt.js';

export const totalVariationOptionsSchema = z.object({
  /**
   * 'l1': anisotropic, sum |dh| + sum |dw| (kornia.losses.total_variation, piq norm_type 'l1');
   * 'l2': sqrt(sum dh^2 + sum dw^2) (piq 'l2', which piq calls isotropic);
   * 'l2-squared': sum dh^2 + sum dw^2 (piq 'l2_squared').
   */
  norm: z.enum(['l1', 'l2', 'l2-squared']).default('l1'),
  /**
   * 'sum' (kornia's and piq's default) or 'mean': each direction's sum divided by its number of
   * differences, C (H - 1) W and C H (W - 1) (kornia's reduction='mean', averaged over channels),
   * which makes the value independent of the image size.
   */
  spatial: z.enum(['sum', 'mean']).default('sum'),
});
export type TotalVariationOptions = z.output<typeof totalVariationOptionsSchema>;

/**
 * Total variation of y_pred per image (y_true is not used): a smoothness prior, usually added
 * with a small weight to a data term (`{ sum: ['mse', { name: 'total-variation', weight: 1e-4 }] }`).
 */
@RegisterLoss({
  name: 'total-variation',
  aliases: ['tv'],
  description: 'Total variation of y_pred per image (anisotropic l1, piq l2 or l2-squared; sum or mean); y_true is ignored; images [batch, h, w, c].',
  options: totalVariationOptionsSchema,
  ...REGISTRATION,
})
export class TotalVariationLoss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: TotalVariationOptions) {}

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertImagePair('total-variation', yTrue, yPred);
    const [, height, width] = yPred as [number, number, number, number];
    if (height < 2 || width < 2) {
      throw new ShapeMismatchError(
        `Loss 'total-variation': the images are ${height}x${width}; total variation needs at least 2x2 (neighbouring pixels in both directions).`,
      );
    }
  }

  compute(_yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const [, height, width, channels] = yPred.shape as [number, number, number, number];
    const dh = tf.sub(tf.slice(yPred, [0, 1, 0, 0], [-1, -1, -1, -1]), tf.slice(yPred, [0, 0, 0, 0], [-1, height - 1, -1, -1]));
    const dw = tf.sub(tf.slice(yPred, [0, 0, 1, 0], [-1, -1, -1, -1]), tf.slice(yPred, [0, 0, 0, 0], [-1, -1, width - 1, -1]));
    const { norm, spatial } = this.options;
    // tf.abs's gradient is -1 at 0: flat regions would not be stationary.
    const penalty = (d: tf.Tensor) => (norm === 'l1' ? absZeroAtZero(d) : tf.square(d));
    const reduce = (d: tf.Tensor, count: number) => {
      const total = tf.sum(tf.sum(penalty(d), [2, 3]), 1); // row sums first: shorter float32 sums
      return spatial === 'mean' ? tf.div(total, count) : total;
    };
    const both = tf.add(reduce(dh, channels * (height - 1) * width), reduce(dw, channels * height * (width - 1)));
    return norm === 'l2' ? safeSqrt(both) : both;
  }
}

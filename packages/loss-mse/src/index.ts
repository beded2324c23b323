import * as tf from '@tensorflow/tfjs';
import { RegisterLoss, type LossPlugin } from '@losskit/core';
import { PACKAGE } from './package-info.js';

/**
 * The seed article's `custom_mse_loss`: `reduce_mean(square(y_true - y_pred), axis=-1)`,
 * one value per sample (per timestep for sequences).
 */
@RegisterLoss({
  name: 'mse',
  aliases: ['mean-squared-error', 'custom-mse'],
  description: 'Mean of squared differences over the last axis, one value per sample.',
  coreApi: '^1.0.0',
  package: PACKAGE,
})
export class MseLoss implements LossPlugin {
  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.mean(tf.squaredDifference(yTrue, yPred), -1);
  }
}

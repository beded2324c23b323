import * as tf from '@tensorflow/tfjs';
import { RegisterLoss, assertSameShapeAfterRankFix, catalogAliases, sameRank, type LossPlugin } from '@losskit/core';
import { PACKAGE } from './package-info.js';

/**
 * The seed article's `custom_mse_loss`, `reduce_mean(square(y_true - y_pred), axis=-1)`, one
 * value per sample (per timestep for sequences); the same function as Keras 3's
 * `mean_squared_error`, so it answers to all of that loss's names (`mean_squared_error`,
 * `MeanSquaredError`, `MSE`, TF.js's `meanSquaredError`, `mean-squared-error`).
 */
@RegisterLoss({
  name: 'mse',
  aliases: catalogAliases('mse'),
  description: 'Mean of squared differences over the last axis, one value per sample (Keras 3 mean_squared_error).',
  coreApi: '^1.0.0',
  package: PACKAGE,
})
export class MseLoss implements LossPlugin {
  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    // Keras's rank fix-up first: y_true [batch] with y_pred [batch, 1] is one value per sample.
    const [t, p] = sameRank(yTrue, yPred);
    return tf.mean(tf.square(tf.sub(t, p)), -1);
  }

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertSameShapeAfterRankFix('mse', yTrue, yPred);
  }
}

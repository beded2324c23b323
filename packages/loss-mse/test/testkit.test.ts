import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse';
import { describeLossPlugin, meanOverLastAxis } from '@losskit/testkit';

describe('@losskit/loss-mse', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describeLossPlugin({
    name: 'mse',
    // every name of Keras 3's mean_squared_error, and the seed's 'custom-mse'
    aliases: ['MSE', 'mean_squared_error', 'MeanSquaredError', 'meanSquaredError', 'mean-squared-error', 'custom-mse'],
    defaults: {},
    // the seed's MSE takes no options: any option is a mistake
    invalidOptions: [{ scale: 2 }, { reduction: 'sum' }],
    inputs: [[4, 3], [1, 7], [3, 2, 5]],
    reference: meanOverLastAxis((t, p) => (p - t) ** 2),
  });
});

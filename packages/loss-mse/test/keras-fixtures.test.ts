import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import '@losskit/loss-mse';
import { getLossRegistry } from '@losskit/core';
import { loadKerasFixtures, runFixtureCase } from '../../core/test/keras-fixtures.js';

// The seed's MSE is Keras 3's mean_squared_error: the Keras fixtures' MeanSquaredError cases
// (2-D, sequences, y_true [b] with y_pred [b, 1]; every reduction and weight variant, values
// and gradients) resolve by Keras's class name to this plugin and match within 1e-6.
const { cases } = loadKerasFixtures();

describe('loss-mse: Keras 3 mean_squared_error fixtures', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('every MSE identifier means this plugin', () => {
    for (const name of ['mse', 'MSE', 'mean_squared_error', 'MeanSquaredError', 'meanSquaredError', 'mean-squared-error']) {
      expect(getLossRegistry().get(name).owner, name).to.match(/^@losskit\/loss-mse@/);
    }
  });

  const mse = cases.filter((kase) => kase.className === 'MeanSquaredError');
  it('the fixtures have MSE cases', () => expect(mse.length).to.be.greaterThan(2));
  for (const kase of mse) it(kase.id, () => runFixtureCase(kase));
});

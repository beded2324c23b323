import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadKerasFixtures, runFixtureCase } from './keras-fixtures.js';

// Every Keras 3 loss core provides, against Keras 3 on JAX (float32); the MSE cases run in
// @losskit/loss-mse's tests, which own that loss.
const { meta, cases } = loadKerasFixtures();

describe(`core: the Keras 3 catalog against Keras ${meta.keras} (JAX, float32) fixtures`, () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the fixtures cover every Keras 3 loss', () => {
    const classes = new Set(cases.map((kase) => kase.className));
    expect(classes.size).to.equal(22);
  });

  for (const kase of cases.filter((c) => c.className !== 'MeanSquaredError')) {
    it(`${kase.id}${kase.rtol ? ` (rtol ${kase.rtol}: ${kase.note})` : kase.note ? ` (${kase.note})` : ''}`, () => runFixtureCase(kase));
  }
});

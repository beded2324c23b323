import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry } from '@losskit/core';
import { MseLoss } from '@losskit/loss-mse';

describe('loss-mse', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("registers 'mse' with the aliases 'mean-squared-error' and 'custom-mse'", () => {
    const registry = getLossRegistry();
    for (const name of ['mse', 'mean-squared-error', 'custom-mse']) {
      expect(registry.get(name).name).to.equal('mse');
    }
    expect(registry.describe('mse').package).to.deep.equal({ name: '@losskit/loss-mse', version: '0.1.0' });
    expect(MseLoss.name).to.equal('MseLoss');
  });

  it('gives one value per sample: the mean of squared differences over the last axis (hand-computed)', () => {
    const yTrue = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const yPred = tf.tensor2d([[1, 0, 0], [1, 1, 4]]);
    const perSample = getLossRegistry().resolveSync('mse').perSample(yTrue, yPred);
    expect(perSample.shape).to.deep.equal([2]);
    const [a, b] = Array.from(perSample.dataSync());
    expect(a).to.be.closeTo((0 + 4 + 9) / 3, 1e-6);
    expect(b).to.be.closeTo((1 + 1 + 16) / 3, 1e-6);
  });

  it("'meanSquaredError' matches model.compile({ loss: 'meanSquaredError' })", async () => {
    const yTrue = tf.randomNormal([6, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const yPred = tf.randomNormal([6, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
    // an identity Dense layer makes y_pred the model's input
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4], useBias: false, kernelInitializer: 'identity' })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const evaluated = model.evaluate(yPred, yTrue, { batchSize: 6 }) as tf.Scalar;
    const expected = (await evaluated.data())[0]!;
    const actual = getLossRegistry().resolveSync('meanSquaredError').compute(yTrue, yPred).dataSync()[0]!;
    expect(actual).to.be.closeTo(expected, 1e-6 * Math.max(1, expected));
    model.dispose();
  });

  it('reduced with the default reduction equals tf.losses.meanSquaredError', () => {
    const yTrue = tf.randomNormal([16, 10], 0, 1, 'float32', 1);
    const yPred = tf.randomNormal([16, 10], 0, 1, 'float32', 2);
    const ours = getLossRegistry().resolveSync('mse').compute(yTrue, yPred).dataSync()[0]!;
    const reference = tf.losses.meanSquaredError(yTrue, yPred).dataSync()[0]!;
    expect(ours).to.be.closeTo(reference, 1e-6);
  });

  it('with sample weights and mean_with_sample_weight equals tf.losses.meanSquaredError with weights', () => {
    const yTrue = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
    const yPred = tf.randomNormal([8, 4], 0, 1, 'float32', 4);
    const weights = tf.tensor1d([1, 0, 2, 0.5, 3, 1, 0, 1]);
    const ours = getLossRegistry()
      .resolveSync({ name: 'mse', reduction: 'mean_with_sample_weight' })
      .reduced(yTrue, yPred, weights)
      .dataSync()[0]!;
    // tf.losses weights squared errors element-wise and, with SUM, adds them all up:
    // sum_i w_i * sum_j sq_ij. Ours is sum_i w_i * mean_j sq_ij / sum_i w_i (Keras 3).
    const features = 4;
    const elementWeights = tf.tile(tf.expandDims(weights, 1), [1, features]);
    const weightedTotal = tf.losses.meanSquaredError(yTrue, yPred, elementWeights, tf.Reduction.SUM).dataSync()[0]!;
    expect(ours).to.be.closeTo(weightedTotal / features / tf.sum(weights).dataSync()[0]!, 1e-5);
  });

  it('keeps per-timestep values for sequences ([batch, time, features] -> [batch, time])', () => {
    const yTrue = tf.ones([2, 3, 4]);
    const yPred = tf.zeros([2, 3, 4]);
    const perSample = getLossRegistry().resolveSync('custom-mse').perSample(yTrue, yPred);
    expect(perSample.shape).to.deep.equal([2, 3]);
    expect(Array.from(perSample.dataSync())).to.deep.equal([1, 1, 1, 1, 1, 1]);
  });
});

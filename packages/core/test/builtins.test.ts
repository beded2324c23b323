import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { firstPartyOwner, getLossRegistry, LossRegistry, ShapeMismatchError, UnknownLossError } from '@losskit/core';

// The reference is TF.js itself: a model compiled with the built-in loss name and evaluated.
// An identity model (one Dense layer with identity weights) makes y_pred equal to the input.
async function tfjsLoss(name: string, yTrue: tf.Tensor2D, yPred: tf.Tensor2D): Promise<number> {
  const units = yPred.shape[1];
  const model = tf.sequential({
    layers: [tf.layers.dense({ units, inputShape: [units], useBias: false, kernelInitializer: 'identity' })],
  });
  model.compile({ optimizer: 'sgd', loss: name });
  const result = model.evaluate(yPred, yTrue, { batchSize: yPred.shape[0] }) as tf.Scalar;
  const value = (await result.data())[0]!;
  result.dispose();
  model.dispose();
  return value;
}

// 'meanSquaredError' is @losskit/loss-mse's (its tests compare it with model.compile too).
const TFJS_NAMES = [
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'squaredHinge',
  'hinge',
  'categoricalHinge',
  'logcosh',
  'categoricalCrossentropy',
  'binaryCrossentropy',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
];

describe('core: TF.js built-in loss names', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of TFJS_NAMES) {
    it(`'${name}' resolves and matches model.compile({ loss: '${name}' })`, async () => {
      const probabilities = (seed: number) => tf.softmax(tf.randomNormal([6, 4], 0, 1, 'float32', seed));
      const yTrue = probabilities(3) as tf.Tensor2D;
      const yPred = probabilities(4) as tf.Tensor2D;
      const expected = await tfjsLoss(name, yTrue, yPred);
      const loss = getLossRegistry().resolveSync(name);
      const actual = loss.compute(yTrue, yPred);
      expect(actual.dataSync()[0]).to.be.closeTo(expected, 1e-5 * Math.max(1, Math.abs(expected)));
      expect(loss.name).to.match(/^[a-z][a-z-]*$/, 'canonical names are kebab-case');
    });
  }

  it("'meanSquaredError' belongs to @losskit/loss-mse, and says so where it is not loaded", () => {
    expect(firstPartyOwner('meanSquaredError')).to.deep.equal({ canonical: 'mse', package: '@losskit/loss-mse' });
    expect(() => new LossRegistry().get('meanSquaredError')).to.throw(UnknownLossError, /provided by @losskit\/loss-mse/);
  });

  it("'sparseCategoricalCrossentropy' takes integer labels and matches TF.js", async () => {
    const yPred = tf.softmax(tf.randomNormal([5, 3], 0, 1, 'float32', 9)) as tf.Tensor2D;
    const labels = tf.tensor2d([[0], [2], [1], [1], [0]]);
    const expected = await tfjsLoss('sparseCategoricalCrossentropy', labels, yPred);
    const actual = getLossRegistry().resolveSync('sparse-categorical-crossentropy').compute(labels, yPred);
    expect(actual.dataSync()[0]).to.be.closeTo(expected, 1e-5);
    expect(() => getLossRegistry().resolveSync('sparse-categorical-crossentropy').compute(tf.zeros([4, 1]), yPred)).to.throw(
      ShapeMismatchError,
      /one integer label per prediction row/,
    );
  });

  it('refuses y_true and y_pred of different shapes, naming both and the loss', () => {
    expect(() => getLossRegistry().resolveSync('mae').compute(tf.zeros([4, 3]), tf.zeros([4, 2]))).to.throw(
      ShapeMismatchError,
      /Loss 'mean-absolute-error': y_true has shape \[4,3\] but y_pred has shape \[4,2\]/,
    );
  });

  it('asTfjsLoss() trains a model under model.compile and is named after the loss', async () => {
    const loss = getLossRegistry().resolveSync('mae');
    const fn = loss.asTfjsLoss();
    expect(fn.name).to.equal('mean-absolute-error');
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: fn as never });
    const x = tf.randomNormal([16, 3], 0, 1, 'float32', 5);
    const y = tf.randomNormal([16, 2], 0, 1, 'float32', 6);
    const history = await model.fit(x, y, { epochs: 5, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[4]).to.be.lessThan(losses[0]!);
    model.dispose();
  });
});

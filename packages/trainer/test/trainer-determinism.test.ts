import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, registerLossFunction } from '@losskit/core';
import { Trainer, type History } from '@losskit/trainer';
import { copyWeights, silent, uniform } from './trainer-helpers.js';

/** Dense -> Dropout(0.5, no layer seed) -> Dense: TF.js seeds each dropout mask from Math.random(). */
function dropoutModel(): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 300 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'relu', inputShape: [6], kernelInitializer: init(1) }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 3, kernelInitializer: init(2) }),
    ],
  });
}

describe('Trainer: determinism with in-layer randomness (Dropout)', function () {
  let x: tf.Tensor;
  let y: tf.Tensor;
  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([40, 6], 301);
    y = uniform([40, 3], 302);
  });
  after(() => tf.dispose([x, y]));

  const fit = (model: tf.LayersModel, optimizer: tf.Optimizer, options: { epochs: number; initialEpoch?: number; seed?: number }): Promise<History> =>
    new Trainer({ model, optimizer, loss: 'mse', backend: 'cpu', ...silent }).fit(x, y, { batchSize: 8, ...options });

  it('gives identical histories for the same seed with Dropout', async () => {
    const a = await fit(dropoutModel(), tf.train.adam(0.01), { epochs: 3, seed: 11 });
    const b = await fit(dropoutModel(), tf.train.adam(0.01), { epochs: 3, seed: 11 });
    expect(b.history).to.deep.equal(a.history);
    // Dropout is really drawing: without a seed the masks (hence the losses) differ between runs.
    const c = await fit(dropoutModel(), tf.train.adam(0.01), { epochs: 3 });
    const d = await fit(dropoutModel(), tf.train.adam(0.01), { epochs: 3 });
    expect(c.history.loss).to.not.deep.equal(d.history.loss);
  });

  it('2 epochs, then resuming at epoch 2 from the weights and optimizer state, equals 4 epochs straight', async () => {
    const straight = await fit(dropoutModel(), tf.train.adam(0.01), { epochs: 4, seed: 12 });

    const firstModel = dropoutModel();
    const firstOptimizer = tf.train.adam(0.01);
    const first = await fit(firstModel, firstOptimizer, { epochs: 2, seed: 12 });
    // A "new process": fresh model and optimizer restored from the first part's state.
    const resumedModel = dropoutModel();
    copyWeights(firstModel, resumedModel);
    const resumedOptimizer = tf.train.adam(0.01);
    await resumedOptimizer.setWeights(await firstOptimizer.getWeights());
    const rest = await fit(resumedModel, resumedOptimizer, { epochs: 4, initialEpoch: 2, seed: 12 });

    expect(rest.epoch).to.deep.equal([2, 3]);
    expect([...first.history.loss!, ...rest.history.loss!]).to.deep.equal(straight.history.loss);
  });

  it('swaps Math.random only inside a training step, and restores it after fit and after a step that throws', async () => {
    const original = Math.random;
    const seenInLoss: (() => number)[] = [];
    const seenInCallbacks: (() => number)[] = [];
    let throwOnCall = Infinity;
    let calls = 0;
    registerLossFunction({ name: 'test-records-math-random', description: 'mse that records Math.random' }, (t, p) => {
      seenInLoss.push(Math.random);
      if (++calls === throwOnCall) throw new Error('loss failed on purpose');
      return tf.mean(tf.square(tf.sub(t, p)), -1);
    });
    try {
      const trainer = new Trainer({ model: dropoutModel(), optimizer: 'sgd', loss: 'test-records-math-random', backend: 'cpu', ...silent });
      const record = { onBatchBegin: () => void seenInCallbacks.push(Math.random), onBatchEnd: () => void seenInCallbacks.push(Math.random) };
      await trainer.fit(x, y, { epochs: 1, batchSize: 8, seed: 13, callbacks: record });
      expect(Math.random).to.equal(original);
      expect(seenInLoss.length).to.be.greaterThan(0);
      expect(seenInLoss.every((fn) => fn !== original)).to.equal(true);
      expect(seenInCallbacks.every((fn) => fn === original)).to.equal(true);

      throwOnCall = calls + 2;
      let failed: unknown;
      await trainer.fit(x, y, { epochs: 1, batchSize: 8, seed: 13 }).catch((error: unknown) => (failed = error));
      expect((failed as Error)?.message).to.match(/failed on purpose/);
      expect(Math.random).to.equal(original);

      // Without a seed, TF.js's own Math.random is left alone.
      seenInLoss.length = 0;
      throwOnCall = Infinity;
      await trainer.fit(x, y, { epochs: 1, batchSize: 8 });
      expect(seenInLoss.every((fn) => fn === original)).to.equal(true);
    } finally {
      getLossRegistry().unregister('test-records-math-random');
    }
  });

  it('keeps tf.memory().numTensors flat over seeded Dropout epochs', async () => {
    const trainer = new Trainer({ model: dropoutModel(), optimizer: 'adam', loss: 'mse', backend: 'cpu', ...silent });
    await trainer.fit(x, y, { epochs: 1, batchSize: 8, seed: 14 });
    const before = tf.memory().numTensors;
    await trainer.fit(x, y, { epochs: 3, initialEpoch: 1, batchSize: 8, seed: 14 });
    expect(tf.memory().numTensors).to.equal(before);
  });
});

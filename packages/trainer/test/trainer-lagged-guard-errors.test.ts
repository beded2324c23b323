import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { registerLossFunction, getLossRegistry } from '@losskit/core';
import { NonFiniteLossError, Trainer } from '@losskit/trainer';
import { ASYNC_NAME, expectSameAsAwaited, useAsyncReadBackend } from './lagged-guard-helpers.js';
import { silent } from './trainer-helpers.js';

// The windowed NaN guard when something fails inside a window (a loss, a dataset, the throw
// policy): the same error as the awaited check, after the same updates. Set-up: lagged-guard-helpers.ts.
describe('Trainer: the NaN guard reading a window of batches (asynchronous-read backends)', function () {
  this.timeout(60_000);
  useAsyncReadBackend();

  it('a NaN batch and then a loss that throws in the same window: the undone batches run again before the error', async () => {
    // Fails on the batch holding the marked row (a target of 1e6), whichever attempt runs it.
    registerLossFunction({ name: 'throws-on-marked-row', description: 'fails on a batch with a target over 1e5' }, (yTrue, yPred) => {
      if (tf.tidy(() => tf.max(yTrue).dataSync()[0]!) > 1e5) throw new Error('marked row');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      // Under the seed-3 shuffle (fit/shuffle.ts), rows 1 and 37 fall in the first epoch's batches
      // 17 and 19 (of 20): the window after the first 16 holds 17 (NaN) and 18 when 19 fails.
      const run = { optimizer: () => tf.train.adam(0.01), nanRows: [1], markedRows: [37], batchSize: 2, loss: 'throws-on-marked-row' };
      const { awaited, lagged } = await expectSameAsAwaited(run);
      expect((awaited.error as Error).message).to.equal('marked row');
      expect((lagged.error as Error).message).to.equal('marked row');
      expect(lagged.state.iterations, 'updates before the failing batch, the NaN one skipped').to.be.above(1);
    } finally {
      getLossRegistry().unregister('throws-on-marked-row');
    }
  });

  it('a batch that fails only when it runs again after a NaN: its error ends the fit there, nothing after it runs first', async () => {
    // 20 batches of 2 rows; each row's second target is its batch number. Batch 1 is NaN, so the
    // first window (batches 1-16) is undone from 1 and 2-16 run again; batch 6 fails on that run.
    const computed: number[] = [];
    const runs = new Map<number, number>();
    registerLossFunction({ name: 'fails-on-second-run-of-6', description: 'fails the second time it sees batch 6' }, (yTrue, yPred) => {
      const tag = tf.tidy(() => tf.max(yTrue.slice([0, 1], [-1, 1])).dataSync()[0]!);
      computed.push(tag);
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      if (tag === 6 && runs.get(tag) === 2) throw new Error('batch 6 failed on its second run');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      await tf.setBackend(ASYNC_NAME);
      const tensors = tf.memory().numTensors;
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
      const optimizer = tf.train.adam(0.01);
      const trainer = new Trainer({ model, optimizer, loss: 'fails-on-second-run-of-6', backend: 'auto', ...silent });
      const dataset = tf.data.generator(function* () {
        for (let b = 0; b < 20; b++) yield { xs: tf.randomUniform([2, 3], 0, 1, 'float32', b), ys: tf.tensor2d([[b === 1 ? NaN : 0.5, b], [0.5, b]]) };
      });
      const error = await trainer.fit(dataset, { epochs: 1, nanPolicy: 'skip-batch' }).then(() => undefined, (e: unknown) => e);
      expect((error as Error | undefined)?.message).to.equal('batch 6 failed on its second run');
      expect(computed, 'batches computed, in order').to.deep.equal([...Array.from({ length: 17 }, (_, b) => b), 2, 3, 4, 5, 6]);
      trainer.dispose();
      model.dispose();
      optimizer.dispose();
      expect(tf.memory().numTensors).to.equal(tensors);
    } finally {
      getLossRegistry().unregister('fails-on-second-run-of-6');
    }
  });

  it('a dataset that fails on its 7th batch: the batches before it count, a NaN among them is skipped, then its error', async () => {
    const dataset = (x: tf.Tensor, y: tf.Tensor) =>
      tf.data.generator(function* () {
        for (let i = 0; i < 8; i++) {
          if (i === 6) throw new Error('bad record in batch 7');
          yield { xs: x.slice(i * 5, 5), ys: y.slice(i * 5, 5) };
        }
      });
    const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), nanRows: [12], dataset });
    expect((awaited.error as Error).message).to.match(/bad record in batch 7/);
    expect((lagged.error as Error).message).to.equal((awaited.error as Error).message);
    expect(lagged.state.iterations).to.equal(5);
  });

  it('throw: the error names the same batch and the weights stop at the last finite one', async () => {
    const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.sgd(0.1), nanRows: [25], nanPolicy: 'throw' });
    expect(lagged.error).to.be.instanceOf(NonFiniteLossError);
    expect((lagged.error as NonFiniteLossError).message).to.equal((awaited.error as Error).message);
  });

  it('a loss that throws on a later batch: the batch before it still counts, nothing leaks', async () => {
    let calls = 0;
    registerLossFunction({ name: 'throws-on-ninth-call', description: 'fails on its ninth call' }, (yTrue, yPred) => {
      if (++calls === 9) throw new Error('ninth call');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), loss: 'throws-on-ninth-call', beforeFit: () => (calls = 0) });
      expect((awaited.error as Error).message).to.match(/ninth call/);
      expect((lagged.error as Error).message).to.match(/ninth call/);
    } finally {
      getLossRegistry().unregister('throws-on-ninth-call');
    }
  });
});

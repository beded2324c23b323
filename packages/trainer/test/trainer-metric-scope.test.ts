import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { RegisterMetric, type Metric } from '@losskit/core';
import { Trainer } from '@losskit/trainer';
import { seedModel, silent, uniform } from './trainer-helpers.js';

// A third-party metric's update may forget an intermediate tensor or throw after making one.
// Its state is what it keeps (tf.keep), so the trainer frees the rest, in fit as in evaluate.

/** Counts batches in a kept scalar, and leaves an intermediate behind at every update. */
class ForgetfulCount implements Metric {
  private count = tf.keep(tf.scalar(0));
  update(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    tf.sub(yTrue, yPred); // forgotten: nobody disposes it
    const next = tf.keep(tf.add(this.count, 1)) as tf.Scalar;
    this.count.dispose();
    this.count = next;
  }
  result(): tf.Scalar {
    return this.count.clone();
  }
  reset(): void {
    this.count.dispose();
    this.count = tf.keep(tf.scalar(0));
  }
  dispose(): void {
    this.count.dispose();
  }
}
RegisterMetric({ name: 'test-forgetful-count', description: 'Counts batches; leaves an intermediate per update.', coreApi: '^1.0.0', direction: 'up' })(ForgetfulCount);

/** Makes a tensor, then throws, on its third update. */
class ThrowsOnThird implements Metric {
  private updates = 0;
  update(yTrue: tf.Tensor): void {
    if (++this.updates < 3) return;
    tf.mul(yTrue, 2);
    throw new Error('test metric failed on its third update');
  }
  result(): tf.Scalar {
    return tf.scalar(0);
  }
  reset(): void {
    this.updates = 0;
  }
  dispose(): void {}
}
RegisterMetric({ name: 'test-throws-on-third', description: 'Throws on its third update.', coreApi: '^1.0.0', direction: 'down' })(ThrowsOnThird);

describe('Trainer: metric updates free what the metric does not keep', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('an intermediate a metric forgets is freed in fit and in evaluate, and its kept state still counts', async () => {
    const x = uniform([40, 4], 1);
    const y = uniform([40, 2], 2);
    const trainer = new Trainer({ model: seedModel(1, 4, 4, 2, 'linear'), optimizer: 'sgd', loss: 'mse', metrics: ['test-forgetful-count'], ...silent });
    await trainer.ready();
    const { history } = await trainer.fit(x, y, { epochs: 1, batchSize: 8 });
    // The kept state survived the tidy: 5 batches counted.
    expect(history['test-forgetful-count']).to.deep.equal([5]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await trainer.fit(x, y, { epochs: 1, batchSize: 8 });
      await trainer.evaluate(x, y, { batchSize: 8 });
    }
    expect(tf.memory().numTensors).to.equal(before);
    trainer.dispose();
    trainer.model.dispose();
    tf.dispose([x, y]);
  });

  it('a metric that throws mid-fit ends the fit with its error and leaves no tensors', async () => {
    const x = uniform([40, 4], 3);
    const y = uniform([40, 2], 4);
    const trainer = new Trainer({ model: seedModel(2, 4, 4, 2, 'linear'), optimizer: 'sgd', loss: 'mse', metrics: ['test-throws-on-third'], ...silent });
    await trainer.ready();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      let error: unknown;
      try {
        await trainer.fit(x, y, { epochs: 1, batchSize: 8 });
      } catch (e) {
        error = e;
      }
      expect((error as Error)?.message).to.contain('third update');
    }
    expect(tf.memory().numTensors).to.equal(before);
    trainer.dispose();
    trainer.model.dispose();
    tf.dispose([x, y]);
  });
});

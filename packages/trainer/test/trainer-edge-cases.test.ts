import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getLossRegistry, registerLossFunction } from '@losskit/core';
import { NonFiniteLossError, Trainer, TrainerInputError } from '@losskit/trainer';
import { latestCheckpoint } from '@losskit/trainer/persistence';
import { seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

describe('Trainer: edge cases', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('validationSplit keeps the first floor(n * (1 - split)) samples for training, as Keras and TF.js do', async () => {
    // 10 samples, split 0.25: TF.js trains on 7 and validates on 3.
    const x = uniform([10, 4], 1);
    const y = uniform([10, 2], 2);
    const model = seedModel(3, 4, 4, 2, 'linear');
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: 'mse', ...silent });
    const { history } = await trainer.fit(x, y, { epochs: 1, batchSize: 10, validationSplit: 0.25, shuffle: false });
    // With a learning rate of 0 the validation loss is the model's MSE on the last 3 samples.
    const expected = tf.tidy(() => tf.losses.meanSquaredError(y.slice(7, 3), model.predict(x.slice(7, 3)) as tf.Tensor).dataSync()[0]!);
    expect(history.val_loss![0]).to.be.closeTo(expected, 1e-6);
    tf.dispose([x, y]);
  });

  it('a refused validationSplit leaks no tensors (with sample and class weights)', async () => {
    const x = uniform([20, 4], 4);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
    const sampleWeight = tf.ones([20]);
    const trainer = new Trainer({ model: seedModel(5, 4, 4, 2), optimizer: 'sgd', loss: 'mse', ...silent });
    await trainer.ready();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      let error: unknown;
      try {
        await trainer.fit(x, y, { epochs: 1, validationSplit: 0.99, sampleWeight, classWeight: { 1: 2 } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TrainerInputError);
      expect((error as Error).message).to.match(/validationSplit 0\.99 of 20 samples leaves 0 for training and 20 for validation/);
    }
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([x, y, sampleWeight]);
  });

  it('an unknown verbose level is refused with the valid ones, before training', async () => {
    const model = seedModel(6, 4, 4, 2);
    const weights = await weightsOf(model);
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', ...silent });
    const x = uniform([4, 4], 7);
    const y = uniform([4, 2], 8);
    let error: unknown;
    try {
      await trainer.fit(x, y, { epochs: 1, verbose: 'fancy' as never });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(TrainerInputError);
    expect((error as Error).message).to.match(/verbose .*must be one of 0, 1, 2 \(got "fancy"\)/);
    expect(await weightsOf(model)).to.deep.equal(weights);
    tf.dispose([x, y]);
  });

  it('tf.callbacks.earlyStopping stops training like the trainer option does', async () => {
    const x = uniform([16, 4], 9);
    const y = uniform([16, 2], 10);
    // Learning rate 0 and a fixed batch order: the loss never changes, so patience 1 stops after
    // the 2nd epoch (shuffled batches would change its last bits and count as improvements).
    const trainer = new Trainer({ model: seedModel(11, 4, 4, 2), optimizer: tf.train.sgd(0), loss: 'mse', ...silent });
    const { epoch } = await trainer.fit(x, y, { epochs: 10, batchSize: 8, shuffle: false, callbacks: [tf.callbacks.earlyStopping({ monitor: 'loss', patience: 1 })] });
    expect(epoch).to.deep.equal([0, 1]);
    tf.dispose([x, y]);
  });

  it('a NaN stop leaves the last good checkpoint intact and loadable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'losskit-nan-checkpoint-'));
    const name = `nan-after-${process.pid}`;
    let calls = 0;
    // Finite for the first two epochs (2 batches each), NaN from then on.
    registerLossFunction({ name, description: 'goes NaN in epoch 3' }, (t, p) => {
      const mse = tf.mean(tf.square(tf.sub(t, p)), -1);
      return ++calls > 4 ? tf.mul(mse, NaN) : mse;
    });
    try {
      const x = uniform([8, 4], 12);
      const y = uniform([8, 2], 13);
      const trainer = new Trainer({ model: seedModel(14, 4, 4, 2, 'linear'), optimizer: 'adam', loss: name, ...silent });
      let error: unknown;
      try {
        await trainer.fit(x, y, { epochs: 4, batchSize: 4, shuffle: false, checkpoint: { dir, everyEpochs: 1, keep: 3 } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(NonFiniteLossError);
      expect((error as NonFiniteLossError).epoch).to.equal(2);
      const newest = await latestCheckpoint(dir);
      expect(newest?.epoch).to.equal(2, 'the checkpoint after the last good epoch');
      calls = 0;
      const resumed = await Trainer.resume(dir, { verbose: false });
      expect(resumed.epochsCompleted).to.equal(2);
      resumed.dispose();
      trainer.dispose();
      tf.dispose([x, y]);
    } finally {
      getLossRegistry().unregister(name);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

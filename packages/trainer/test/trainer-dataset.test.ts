import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer } from '@losskit/trainer';
import { copyWeights, seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

describe('Trainer: fitting a tf.data.Dataset', function () {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same losses and weights as fitting the same batches from tensors, with tensors flat', async () => {
    const x = uniform([30, 5], 401);
    const y = uniform([30, 3], 402);
    // The way users build one: rows as plain arrays, zipped into { xs, ys } and batched by tf.data.
    const dataset = tf.data
      .zip({ xs: tf.data.array(x.arraySync() as number[][]), ys: tf.data.array(y.arraySync() as number[][]) })
      .batch(8);

    const fromDataset = seedModel(40, 5, 8, 3);
    const fromTensors = seedModel(41, 5, 8, 3);
    copyWeights(fromDataset, fromTensors);
    const trainerOn = (model: tf.LayersModel) => new Trainer({ model, optimizer: tf.train.adam(0.01), loss: 'mse', metrics: ['mae'], backend: 'cpu', ...silent });
    const datasetTrainer = trainerOn(fromDataset);
    const tensorTrainer = trainerOn(fromTensors);

    const counts: number[] = [];
    const viaDataset = await datasetTrainer.fit(dataset, { epochs: 3, callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) } });
    // Same batches in the same order: batches of 8 from the start, no shuffling.
    const viaTensors = await tensorTrainer.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false });

    expect(viaDataset.epoch).to.deep.equal([0, 1, 2]);
    expect(Object.keys(viaDataset.history).sort()).to.deep.equal(['loss', 'mae']);
    expect(viaDataset.history).to.deep.equal(viaTensors.history);
    expect(await weightsOf(fromDataset)).to.deep.equal(await weightsOf(fromTensors));

    // Epoch 0 creates Adam's slots; after that no epoch may leave a tensor behind ...
    expect(new Set(counts.slice(1)).size).to.equal(1);
    // ... nor a whole further fit over the dataset.
    const before = tf.memory().numTensors;
    await datasetTrainer.fit(dataset, { epochs: 5, initialEpoch: 3 });
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([x, y]);
  });
});

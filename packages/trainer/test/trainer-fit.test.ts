import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer, type TrainerCallback } from '@losskit/trainer';
import { copyWeights, maeRows, mseRows, seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

describe('Trainer: fitting by loss name', function () {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('fits the seed model with loss "mse"; the loss decreases and the history has the keys model.fit would log', async () => {
    const model = seedModel(1);
    const x = uniform([256, 32], 11);
    const y = uniform([256, 10], 12);
    const trainer = new Trainer({ model, optimizer: tf.train.adam(0.01), loss: 'mean-squared-error', backend: 'cpu', ...silent });
    const { epoch, history } = await trainer.fit(x, y, { epochs: 5, batchSize: 32, seed: 3 });
    expect(epoch).to.deep.equal([0, 1, 2, 3, 4]);
    // One output, one loss: only 'loss', as model.fit logs it (no second copy under the loss's name).
    expect(Object.keys(history)).to.deep.equal(['loss']);
    expect(history.loss![4]).to.be.lessThan(history.loss![0]!);
    expect(trainer.epochsCompleted).to.equal(5);
    expect(trainer.lossSpecs).to.deep.include({ name: 'mse', reduction: 'sum_over_batch_size' });
    tf.dispose([x, y]);
  });

  it('matches a hand-written training loop on the same weights and data', async () => {
    const model = seedModel(2, 8, 16, 4, 'linear');
    const reference = seedModel(99, 8, 16, 4, 'linear');
    copyWeights(model, reference);
    const x = uniform([50, 8], 21);
    const y = uniform([50, 4], 22);
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.1), loss: 'mse', backend: 'cpu', ...silent });
    const { history } = await trainer.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false });

    // Independent reference: tf.losses.meanSquaredError per batch, optimizer.minimize by hand.
    const optimizer = tf.train.sgd(0.1);
    const expected: number[] = [];
    for (let e = 0; e < 3; e++) {
      let sum = 0;
      for (let start = 0; start < 50; start += 16) {
        const size = Math.min(16, 50 - start);
        const loss = tf.tidy(() => {
          const xb = x.slice([start, 0], [size, 8]);
          const yb = y.slice([start, 0], [size, 4]);
          return optimizer.minimize(() => tf.losses.meanSquaredError(yb, reference.apply(xb) as tf.Tensor) as tf.Scalar, true)!;
        });
        sum += loss.dataSync()[0]! * size;
        loss.dispose();
      }
      expected.push(sum / 50);
    }
    history.loss!.forEach((value, e) => expect(value).to.be.closeTo(expected[e]!, 1e-6));
    const [a, b] = [await weightsOf(model), await weightsOf(reference)];
    a.forEach((w, i) => w.forEach((v, j) => expect(v).to.be.closeTo(b[i]![j]!, 1e-6)));
    tf.dispose([x, y]);
  });

  it('applies sampleWeight and classWeight (one-hot and integer targets) as Keras does', async () => {
    const model = seedModel(3, 6, 8, 3);
    const x = uniform([12, 6], 31);
    const labels = [0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2];
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
    const sw = [0.5, 1, 2, 0, 1, 3, 1, 1, 0.25, 1, 2, 1];
    const classWeight = { 0: 2, 2: 0.5 };
    const pred = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const mse = mseRows(y.arraySync() as number[][], pred);
    const weight = labels.map((c, i) => sw[i]! * ((classWeight as Record<number, number>)[c] ?? 1));
    const expected = mse.reduce((s, v, i) => s + v * weight[i]!, 0) / 12; // sum_over_batch_size

    // Learning rate 0: the weights stay put, so the epoch loss is the weighted loss of the data.
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: 'mse', backend: 'cpu', ...silent });
    const swTensor = tf.tensor1d(sw);
    const { history } = await trainer.fit(x, y, { epochs: 1, batchSize: 5, sampleWeight: swTensor, classWeight, seed: 1 });
    expect(history.loss![0]).to.be.closeTo(expected, 1e-6);

    // Integer targets: the class is the target value itself (one output unit).
    const single = seedModel(4, 6, 8, 1, 'linear');
    const yInt = tf.tensor2d(labels.map((c) => [c % 2]));
    const p1 = (single.predict(x) as tf.Tensor).arraySync() as number[][];
    const mse1 = mseRows(yInt.arraySync() as number[][], p1);
    const w1 = labels.map((c) => (c % 2 === 1 ? 4 : 1));
    const expected1 = mse1.reduce((s, v, i) => s + v * w1[i]!, 0) / 12;
    const t1 = new Trainer({ model: single, optimizer: tf.train.sgd(0), loss: 'mse', backend: 'cpu', ...silent });
    const h1 = await t1.fit(x, yInt, { epochs: 1, batchSize: 12, classWeight: { 1: 4 } });
    expect(h1.history.loss![0]).to.be.closeTo(expected1, 1e-6);

    // mean_with_sample_weight divides by the sum of the weights instead.
    const t2 = new Trainer({ model, optimizer: tf.train.sgd(0), loss: { name: 'mse', reduction: 'mean_with_sample_weight' }, backend: 'cpu', ...silent });
    const h2 = await t2.fit(x, y, { epochs: 1, batchSize: 12, sampleWeight: swTensor });
    const expected2 = mse.reduce((s, v, i) => s + v * sw[i]!, 0) / sw.reduce((a, b) => a + b, 0);
    expect(h2.history.loss![0]).to.be.closeTo(expected2, 1e-6);
    tf.dispose([x, y, yInt, swTensor]);
  });

  it('sums per-output losses with lossWeights on a two-output model and logs each term', async () => {
    const input = tf.input({ shape: [5], name: 'features' });
    const hidden = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.dense({ units: 3, name: 'out_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(hidden) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 2, name: 'out_b', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    const x = uniform([10, 5], 41);
    const ya = uniform([10, 3], 42);
    const yb = uniform([10, 2], 43);
    const [pa, pb] = (model.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
    const sw = [1, 2, 1, 0, 1, 1, 3, 1, 1, 0.5];
    const termA = mseRows(ya.arraySync() as number[][], pa!).reduce((s, v, i) => s + v * sw[i]!, 0) / 10;
    const termB = maeRows(yb.arraySync() as number[][], pb!).reduce((s, v) => s + v, 0) / 10;

    const trainer = new Trainer({
      model,
      optimizer: tf.train.sgd(0),
      loss: { out_b: 'mae', out_a: 'mse' },
      lossWeights: { out_a: 2, out_b: 0.5 },
      backend: 'cpu',
      ...silent,
    });
    const swTensor = tf.tensor1d(sw);
    const { history } = await trainer.fit({ features: x }, [ya, yb], {
      epochs: 1,
      batchSize: 4,
      sampleWeight: { out_a: swTensor, out_b: tf.ones([10]) },
      validationData: [x, { out_a: ya, out_b: yb }],
    });
    // TF.js's per-output keys: <output>_loss.
    expect(Object.keys(history).sort()).to.deep.equal(['loss', 'out_a_loss', 'out_b_loss', 'val_loss', 'val_out_a_loss', 'val_out_b_loss']);
    expect(history.out_a_loss![0]).to.be.closeTo(termA, 1e-6);
    expect(history.out_b_loss![0]).to.be.closeTo(termB, 1e-6);
    expect(history.loss![0]).to.be.closeTo(2 * termA + 0.5 * termB, 1e-6);
    expect(trainer.lossSpecs).to.have.keys(['out_a', 'out_b']);
    expect(trainer.lossWeights).to.deep.equal([2, 0.5]);
    tf.dispose([x, ya, yb, swTensor]);
  });

  it('computes metrics: TF.js metric strings and losskit loss names', async () => {
    const model = seedModel(8, 4, 8, 3);
    const x = uniform([9, 4], 51);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32'), 3).toFloat();
    const pred = model.predict(x) as tf.Tensor;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(pred, -1), tf.argMax(y, -1)), 'float32')).dataSync()[0]!;
    const mae = maeRows(y.arraySync() as number[][], pred.arraySync() as number[][]).reduce((s, v) => s + v, 0) / 9;
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: 'categorical-crossentropy', metrics: ['accuracy', 'mae', 'mse'], backend: 'cpu', ...silent });
    const { history } = await trainer.fit(x, y, { epochs: 1, batchSize: 9 });
    expect(trainer.metricNames).to.deep.equal(['accuracy', 'mae', 'mse']);
    expect(history.accuracy![0]).to.be.closeTo(accuracy, 1e-6);
    expect(history.mae![0]).to.be.closeTo(mae, 1e-6);
    expect(Object.keys(history)).to.not.include('');
    tf.dispose([x, y, pred]);
  });

  it('calls callbacks in tfjs order with the history keys, and honours stopTraining', async () => {
    const model = seedModel(9, 4, 4, 2);
    const x = uniform([8, 4], 61);
    const y = uniform([8, 2], 62);
    const events: string[] = [];
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    const recorder: TrainerCallback = {
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
      onBatchEnd: async (b, logs) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`batchEnd ${b} ${Object.keys(logs ?? {}).join(',')}`);
      },
      onEpochEnd: (e, logs) => {
        events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).join(',')}`);
        if (e === 1) trainer.stopTraining = true;
      },
      onTrainEnd: () => void events.push('trainEnd'),
    };
    const { epoch } = await trainer.fit(x, y, { epochs: 5, batchSize: 4, callbacks: [recorder] });
    expect(epoch).to.deep.equal([0, 1]);
    expect(events).to.deep.equal([
      'trainBegin',
      'epochBegin 0', 'batchBegin 0', 'batchEnd 0 loss', 'batchBegin 1', 'batchEnd 1 loss', 'epochEnd 0 loss',
      'epochBegin 1', 'batchBegin 0', 'batchEnd 0 loss', 'batchBegin 1', 'batchEnd 1 loss', 'epochEnd 1 loss',
      'trainEnd',
    ]);
    tf.dispose([x, y]);
  });

  it('stops early when the monitored value stops improving', async () => {
    const model = seedModel(10, 4, 4, 2);
    const x = uniform([8, 4], 71);
    const y = uniform([8, 2], 72);
    // Learning rate 0: val_loss never improves after the first epoch.
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: 'mse', backend: 'cpu', ...silent });
    const { epoch, history } = await trainer.fit(x, y, { epochs: 20, batchSize: 4, validationSplit: 0.25, earlyStopping: { monitor: 'val_loss', patience: 2 } });
    expect(epoch).to.deep.equal([0, 1, 2, 3]);
    expect(history.val_loss).to.have.length(4);
    tf.dispose([x, y]);
  });
});

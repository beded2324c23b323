import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer } from '@losskit/trainer';
import { maeRows, mseRows, silent } from './trainer-helpers.js';

// A linear layer with fixed weights and sgd(0): predictions stay put, so every logged value is
// the loss of the given data and can be computed by hand.
const KERNEL = [[0.5, -1], [2, 0.25], [-0.75, 1.5]];
const BIAS = [0.1, -0.2];

function linear(name?: string): tf.layers.Layer {
  return tf.layers.dense({ units: 2, ...(name ? { name } : {}), weights: [tf.tensor2d(KERNEL), tf.tensor1d(BIAS)] });
}

function predictByHand(x: number[][]): number[][] {
  return x.map((row) => [0, 1].map((j) => row.reduce((s, v, i) => s + v * KERNEL[i]![j]!, BIAS[j]!)));
}

const X = [[1, 2, 3], [0, -1, 0.5], [2, 2, -1], [-0.5, 0, 1]];
const Y = [[1, 0], [0, 1], [3, -2], [0.5, 0.5]];
const SW = [1, 2, 0.5, 0];
const SUM = { sum: [{ name: 'mse', weight: 2 }, { name: 'mae', weight: 0.5 }] };

/** Sample-weighted mean over the batch (sum_over_batch_size) of per-sample values. */
const weightedMean = (rows: number[], weights: number[]) => rows.reduce((s, v, i) => s + v * weights[i]!, 0) / rows.length;

describe('Trainer: each term of a { sum: [...] } loss is logged on its own', function () {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('logs each term of the sum as loss/<term>, before the term weight, with one small synchronous read per logged value per batch', async () => {
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3] }), linear()] });
    const [x, y, vx, vy, sw] = [tf.tensor2d(X), tf.tensor2d(Y), tf.tensor2d(X.slice(0, 2)), tf.tensor2d(Y.slice(0, 2)), tf.tensor1d(SW)];
    const pred = predictByHand(X);
    const mse = weightedMean(mseRows(Y, pred), SW);
    const mae = weightedMean(maeRows(Y, pred), SW);
    const valPred = pred.slice(0, 2);
    const valMse = weightedMean(mseRows(Y.slice(0, 2), valPred), [1, 1]);
    const valMae = weightedMean(maeRows(Y.slice(0, 2), valPred), [1, 1]);

    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: SUM, metrics: ['mse'], backend: 'cpu', ...silent });
    // The loop reads each batch's loss values with one dataSync (the terms are stacked into
    // the same row); count the transfers during the training batches.
    const dataSync = tf.Tensor.prototype.dataSync;
    let transfers = 0;
    let batches = 0;
    let counting = false;
    tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
      if (counting) transfers++;
      return dataSync.call(this) as never;
    };
    let history;
    try {
      history = await trainer.fit(x, y, {
        epochs: 1,
        batchSize: 4,
        sampleWeight: sw,
        validationData: [vx, vy],
        callbacks: {
          onBatchBegin: () => void (counting = true),
          onBatchEnd: () => void ((counting = false), batches++),
        },
      });
    } finally {
      tf.Tensor.prototype.dataSync = dataSync;
    }
    const h = history.history;
    // The sum is 'loss'; its terms are 'loss/<term>'; the metric keeps the exact string given.
    expect(Object.keys(h).sort()).to.deep.equal(
      ['loss', 'loss/mean-absolute-error', 'loss/mse', 'mse', 'val_loss', 'val_loss/mean-absolute-error', 'val_loss/mse', 'val_mse'].sort(),
    );
    expect(h['loss/mse']![0]).to.be.closeTo(mse, 1e-5);
    expect(h['loss/mean-absolute-error']![0]).to.be.closeTo(mae, 1e-5);
    expect(h.loss![0]).to.be.closeTo(2 * mse + 0.5 * mae, 1e-5);
    expect(h['val_loss/mse']![0]).to.be.closeTo(valMse, 1e-5);
    expect(h['val_loss/mean-absolute-error']![0]).to.be.closeTo(valMae, 1e-5);
    // The metric 'mse' is unweighted (as Keras's metrics), unlike the loss term of the same name.
    expect(h.mse![0]).to.be.closeTo(weightedMean(mseRows(Y, pred), [1, 1, 1, 1]), 1e-5);
    expect(batches).to.equal(1);
    // On cpu one four-byte synchronous read per logged scalar (the total and the two terms:
    // cheaper there than stacking them first) and nothing else; the metric results its batch
    // log shows are read asynchronously.
    expect(transfers).to.equal(3);
    tf.dispose([x, y, vx, vy, sw]);
  });

  it('prefixes the terms by output on a multi-output model and keeps tensors flat', async () => {
    const input = tf.input({ shape: [3] });
    const model = tf.model({ inputs: input, outputs: [linear('out_a').apply(input) as tf.SymbolicTensor, linear('out_b').apply(input) as tf.SymbolicTensor] });
    const [x, y] = [tf.tensor2d(X), tf.tensor2d(Y)];
    const pred = predictByHand(X);
    const ones = [1, 1, 1, 1];
    const mse = weightedMean(mseRows(Y, pred), ones);
    const mae = weightedMean(maeRows(Y, pred), ones);

    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: { out_a: SUM, out_b: 'mse' }, lossWeights: { out_a: 1, out_b: 3 }, backend: 'cpu', ...silent });
    await trainer.fit(x, [y, y], { epochs: 1, batchSize: 2 });
    const before = tf.memory().numTensors;
    const { history: h } = await trainer.fit(x, [y, y], { epochs: 2, batchSize: 2 });
    expect(tf.memory().numTensors).to.equal(before);

    expect(trainer.logKeys).to.deep.equal(['loss', 'out_a_loss', 'out_a_loss/mse', 'out_a_loss/mean-absolute-error', 'out_b_loss']);
    expect(Object.keys(h).sort()).to.deep.equal([...trainer.logKeys].sort());
    expect(h['out_a_loss/mse']![1]).to.be.closeTo(mse, 1e-5);
    expect(h['out_a_loss/mean-absolute-error']![1]).to.be.closeTo(mae, 1e-5);
    expect(h.out_a_loss![1]).to.be.closeTo(2 * mse + 0.5 * mae, 1e-5);
    expect(h.out_b_loss![1]).to.be.closeTo(mse, 1e-5);
    expect(h.loss![1]).to.be.closeTo(2 * mse + 0.5 * mae + 3 * mse, 1e-5);
    tf.dispose([x, y]);
  });

  it('names the sum term that went non-finite, not just the sum', async () => {
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3] }), linear()] });
    const x = tf.tensor2d(X);
    const y = tf.tensor2d([[NaN, 0], ...Y.slice(1)]);
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: SUM, backend: 'cpu', ...silent });
    let failure: unknown;
    await trainer.fit(x, y, { epochs: 1, batchSize: 4 }).catch((error: unknown) => (failure = error));
    expect((failure as Error).message).to.match(/'loss\/mse'/);
    tf.dispose([x, y]);
  });
});

/**
 * The `workers` fit option: real worker threads computing slices of each batch's gradient.
 * Compared against the same fit in one thread (the trainer's own step, the reference): the same
 * history within 1e-5 relative with sample and class weights, metrics, a learning-rate schedule,
 * validation and shuffling; on a multi-output model with loss weights and a sum of losses; two
 * 2-worker runs bit-identical. Errors, 'auto' and refusals: trainer-workers-errors.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer, TrainingOptimizer } from '@losskit/trainer';
import { silent } from './trainer-helpers.js';
import { WORKER_IMPORTS, denseModel, expectClose, run, twoOutputModel, useWorkerData, type Case } from './workers-helpers.js';

describe('Trainer: workers (data-parallel worker threads)', function () {
  this.timeout(120_000);
  let x: tf.Tensor;
  let labels: tf.Tensor;
  let target: tf.Tensor;
  let targetB: tf.Tensor;
  let sampleWeight: tf.Tensor;
  useWorkerData((data) => ({ x, labels, target, targetB, sampleWeight } = data));

  const weighted: () => Case = () => ({
    build: denseModel,
    loss: 'mse',
    metrics: ['accuracy', 'mae'],
    // A schedule and clipping: the trainer's optimizer applies the summed gradient.
    optimizer: () => new TrainingOptimizer({ optimizer: 'adam', learningRate: { name: 'exponential-decay', options: { initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.8 } }, globalClipnorm: 1 }),
    x: () => x,
    y: () => labels,
    // 72 training rows in batches of 32: the last (8 rows) splits as 4 + 4, the others 16 + 16
    fit: { epochs: 3, batchSize: 32, sampleWeight, classWeight: { 0: 2, 2: 0.5 }, validationSplit: 0.2, seed: 5 },
  });

  it('sample and class weights, metrics, a schedule, validation, shuffling: 2 workers give the 1-thread history; two 2-worker runs are bit-identical', async () => {
    const one = await run(weighted(), 1);
    const two = await run(weighted(), 2);
    expect(one.history.history).to.have.keys('loss', 'accuracy', 'mae', 'val_loss', 'val_accuracy', 'val_mae', 'learning_rate');
    expectClose(two.history, one.history);
    const again = await run(weighted(), 2);
    expect(again.history).to.deep.equal(two.history);
    expect(again.weights).to.deep.equal(two.weights);
  });

  it('a multi-output model with loss weights and a sum of losses (with its terms logged): 2 and 3 workers give the 1-thread history', async () => {
    const c: Case = {
      build: twoOutputModel,
      loss: ['mse', { sum: ['mse', { name: 'test-workers-l1', weight: 0.5 }], reduction: 'mean_with_sample_weight' }],
      lossWeights: [1, 0.3],
      optimizer: () => tf.train.sgd(0.2),
      x: () => x,
      y: () => [target, targetB],
      fit: { epochs: 2, batchSize: 25, sampleWeight: [sampleWeight, sampleWeight], seed: 7 },
    };
    const one = await run(c, 1);
    expect(one.history.history).to.have.keys('loss', 'a_loss', 'b_loss', 'b_loss/mse', 'b_loss/test-workers-l1');
    expectClose((await run(c, 2)).history, one.history);
    // the last batch (15 rows) splits 5 + 5 + 5, the others 9 + 8 + 8
    expectClose((await run(c, 3)).history, one.history);
  });

  it('the NaN guard: a non-finite loss in a worker\'s slice skips the batch (skip-batch) or throws, as in one thread', async () => {
    // row 50 (batch 2 of 30 rows, shuffle off: its rows 15..29 are worker 1's) holds a NaN
    const bad = tf.tidy(() => tf.concat([target.slice(0, 50), tf.fill([1, 3], NaN), target.slice(51)]));
    const c: Case = { build: denseModel, loss: 'mse', optimizer: () => tf.train.sgd(0.1), x: () => x, y: () => bad, fit: { epochs: 2, batchSize: 30, shuffle: false, nanPolicy: 'skip-batch' } };
    try {
      const one = await run(c, 1);
      const two = await run(c, 2);
      expect(one.history.history.loss!.every(Number.isFinite)).to.equal(true);
      expectClose(two.history, one.history);
      const error = await run(c, 2, { nanPolicy: 'throw' }).catch((e: Error) => e);
      expect((error as Error).message).to.match(/Loss term 'mse' is NaN in epoch 1, batch 2/);
    } finally {
      bad.dispose();
    }
  });

  it("skip-batch with BatchNormalization: a NaN batch leaves the trainer's moving statistics as training without it does", async () => {
    const bnModel = () => {
      const init = (k: number) => tf.initializers.glorotUniform({ seed: 70 + k });
      return tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [6], kernelInitializer: init(1) }), tf.layers.batchNormalization(), tf.layers.dense({ units: 3, kernelInitializer: init(2) })] });
    };
    // Row 50 is in batch 2 (rows 30..59; its rows 45..59 are worker 1's slice) and holds a NaN.
    const bad = tf.tidy(() => tf.concat([target.slice(0, 50), tf.fill([1, 3], NaN), target.slice(51)]));
    const keep = tf.tensor1d([...Array.from({ length: 30 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 60 + i)], 'int32');
    const [xKept, yKept] = [tf.gather(x, keep), tf.gather(target, keep)];
    const base = { build: bnModel, loss: 'mse', optimizer: () => tf.train.sgd(0.1), fit: { epochs: 2, batchSize: 30, shuffle: false, nanPolicy: 'skip-batch' as const } };
    try {
      const skipped = await run({ ...base, x: () => x, y: () => bad }, 2);
      const without = await run({ ...base, x: () => xKept, y: () => yKept }, 2);
      expect(skipped.weights.every((w) => w.every(Number.isFinite))).to.equal(true);
      // Dense kernel and bias, gamma, beta, moving mean, moving variance, dense kernel and bias.
      expect(skipped.weights).to.deep.equal(without.weights);
    } finally {
      tf.dispose([bad, keep, xKept, yKept]);
    }
  });

  it('a tf.data dataset of weighted batches: 2 workers give the 1-thread history', async () => {
    const [xs, ys, ws] = [tf.unstack(x), tf.unstack(target), tf.unstack(sampleWeight)];
    const fitDataset = async (workers: number) => {
      const model = denseModel();
      const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.2), loss: { name: 'mse', reduction: 'mean_with_sample_weight' }, backend: 'cpu', ...silent });
      const dataset = tf.data.zip({ xs: tf.data.array(xs), ys: tf.data.array(ys), sampleWeight: tf.data.array(ws) }).batch(20);
      const history = await trainer.fit(dataset as never, { epochs: 2, workers, workerImports: WORKER_IMPORTS, verbose: 0 });
      trainer.dispose();
      model.dispose();
      return history;
    };
    try {
      expectClose(await fitDataset(2), await fitDataset(1));
    } finally {
      tf.dispose([...xs, ...ys, ...ws]);
    }
  });

  it('Dropout with a seed: two 2-worker runs are bit-identical (each slice draws its own seeded masks)', async () => {
    const dropout = () => tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, activation: 'relu', inputShape: [6], kernelInitializer: tf.initializers.glorotUniform({ seed: 71 }) }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 72 }) }),
      ],
    });
    const c: Case = { build: dropout, loss: 'mse', optimizer: () => tf.train.adam(0.01), x: () => x, y: () => target, fit: { epochs: 2, batchSize: 30, seed: 3 } };
    const a = await run(c, 2);
    const b = await run(c, 2);
    expect(b.weights).to.deep.equal(a.weights);
    expect(b.history).to.deep.equal(a.history);
  });

  it('on wasm (weights and gradients read from its heap): 2 workers give the 1-thread history, two 2-worker runs are bit-identical', async () => {
    const onWasm = async (workers: number) => {
      const model = denseModel();
      const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', metrics: ['mae'], backend: 'wasm', ...silent });
      const history = await trainer.fit(x, labels, { epochs: 2, batchSize: 30, seed: 2, sampleWeight, workers, workerImports: WORKER_IMPORTS, verbose: 0 });
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      trainer.dispose();
      model.dispose();
      return { history, weights };
    };
    try {
      const one = await onWasm(1);
      const two = await onWasm(2);
      expectClose(two.history, one.history);
      const again = await onWasm(2);
      expect(again.history).to.deep.equal(two.history);
      expect(again.weights).to.deep.equal(two.weights);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

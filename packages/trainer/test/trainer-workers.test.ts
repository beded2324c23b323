/**
 * The `workers` fit option: real worker threads computing slices of each batch's gradient.
 * Compared against the same fit in one thread (the trainer's own step, the reference): the same
 * history within 1e-5 relative with sample and class weights, metrics, a learning-rate schedule,
 * validation and shuffling; on a multi-output model with loss weights and a sum of losses; two
 * 2-worker runs bit-identical; a failing worker named, nothing leaked, the last checkpoint intact.
 */
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Trainer, TrainingOptimizer, WorkerFailedError, type FitOptions, type History, type LossOption, type MetricsOption } from '@losskit/trainer';
import { listCheckpoints, loadTrainerState } from '@losskit/trainer/persistence';
import { makeTempDir } from './support/persistence-models.js';
import { silent, uniform } from './trainer-helpers.js';

const LOSSES = fileURLToPath(new URL('./fixtures/worker-losses.mjs', import.meta.url));
await import(LOSSES);
// What the workers import to know the losses the parent registered by importing these modules.
const WORKER_IMPORTS = ['@losskit/loss-mse', LOSSES];

function denseModel(): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 40 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [6], kernelInitializer: init(1) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

/** Two outputs from a shared trunk: 'a' (3 values) and 'b' (2 values). */
function twoOutputModel(): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 50 + k });
  const input = tf.input({ shape: [6] });
  // A regularizer: its penalty belongs to the batch, added once (by the trainer's thread).
  const trunk = tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(1), kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 3, name: 'a', kernelInitializer: init(2) }).apply(trunk) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, name: 'b', kernelInitializer: init(3) }).apply(trunk) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [a, b] });
}

interface Case {
  build(): tf.LayersModel;
  loss: LossOption;
  lossWeights?: number[];
  metrics?: MetricsOption;
  optimizer(): tf.Optimizer;
  x: () => tf.Tensor;
  y: () => tf.Tensor | tf.Tensor[];
  fit: FitOptions;
}

async function run(c: Case, workers: number | 'auto', extra: FitOptions = {}): Promise<{ history: History; weights: number[][] }> {
  const model = c.build();
  const trainer = new Trainer({ model, optimizer: c.optimizer(), loss: c.loss, ...(c.lossWeights ? { lossWeights: c.lossWeights } : {}), ...(c.metrics ? { metrics: c.metrics } : {}), backend: 'cpu', ...silent });
  const history = await trainer.fit(c.x(), c.y(), { ...c.fit, workers, workerImports: WORKER_IMPORTS, verbose: 0, ...extra });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  trainer.dispose();
  model.dispose();
  return { history, weights };
}

function expectClose(actual: History, expected: History): void {
  expect(Object.keys(actual.history).sort()).to.deep.equal(Object.keys(expected.history).sort());
  for (const [key, values] of Object.entries(expected.history)) {
    values.forEach((v, i) => {
      const got = actual.history[key]![i]!;
      expect(Math.abs(got - v) / Math.max(Math.abs(v), 1e-3), `${key}[${i}]: ${got} vs ${v}`).to.be.at.most(1e-5);
    });
  }
}

/** A custom layer registered in this file only: a worker cannot rebuild a model that uses it. */
class Doubling extends tf.layers.Layer {
  static className = 'TestWorkersDoubling';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
  }
}
tf.serialization.registerClass(Doubling);

describe('Trainer: workers (data-parallel worker threads)', function () {
  this.timeout(120_000);
  let x: tf.Tensor;
  let labels: tf.Tensor;
  let target: tf.Tensor;
  let targetB: tf.Tensor;
  let sampleWeight: tf.Tensor;
  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([90, 6], 61);
    labels = tf.oneHot(tf.tensor1d(Array.from({ length: 90 }, (_, i) => (i * 7) % 3), 'int32'), 3).toFloat();
    target = uniform([90, 3], 62);
    targetB = uniform([90, 2], 63);
    sampleWeight = tf.randomUniform([90], 0.2, 2, 'float32', 64);
  });
  after(() => tf.dispose([x, labels, target, targetB, sampleWeight]));

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

  it("'auto' picks a count from the cores and the batch size and says so in one log line", async () => {
    const lines: string[] = [];
    const model = denseModel();
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', logger: (line) => lines.push(line) });
    await trainer.fit(x, target, { epochs: 1, batchSize: 16, workers: 'auto', workerImports: WORKER_IMPORTS, verbose: 0 });
    const line = lines.filter((l) => l.includes('workers'));
    expect(line).to.have.length(1);
    // batch 16 < 2 x 32 rows: one worker, whatever the core count
    expect(line[0]).to.match(/^\[losskit\] workers 'auto': 1 \(availableParallelism \d+, batch 16 .*\); training in this thread only$/);
    trainer.dispose();
    model.dispose();
  });

  it('rejects a bad workers value with what to write, before anything runs', async () => {
    const model = denseModel();
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    for (const [workers, message] of [[0, /workers .*whole number >= 1 \(got 0\).*'auto'/], ['2', /without quotes/], [1.5, /whole number/]] as const) {
      const error = await trainer.fit(x, target, { workers: workers as never }).catch((e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(message);
    }
    const typo = await trainer.fit(x, target, { worker: 2 } as never).catch((e: Error) => e);
    expect((typo as Error).message).to.match(/unknown option 'worker' \(did you mean 'workers'\?\)/);
    trainer.dispose();
    model.dispose();
  });

  it('a worker whose loss throws ends the fit with an error naming it; no tensors or threads left; the last checkpoint loads', async () => {
    const dir = makeTempDir('workers-fail');
    const liveWorkers = () => (process.report.getReport() as unknown as { workers: unknown[] }).workers.length;
    const threads = liveWorkers();
    const model = denseModel();
    // sgd: no optimizer slots, which would be new tensors that are no leak
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'test-workers-fails-in-worker', backend: 'cpu', ...silent });
    await trainer.ready();
    const tensors = tf.memory().numTensors;
    // 90 rows in batches of 30: each worker call is one batch; call 5 is epoch 2, batch 2
    process.env.LOSSKIT_TEST_FAIL_AFTER = '5';
    let error: unknown;
    try {
      await trainer.fit(x, target, { epochs: 4, batchSize: 30, workers: 2, workerImports: WORKER_IMPORTS, seed: 1, checkpoint: { dir }, verbose: 0 });
    } catch (e) {
      error = e;
    } finally {
      delete process.env.LOSSKIT_TEST_FAIL_AFTER;
    }
    expect(error).to.be.instanceOf(WorkerFailedError);
    expect((error as Error).message).to.match(/worker 1 of 2 failed at epoch 2, batch 2: Error: this slice's loss failed on call 5/);
    expect(tf.memory().numTensors, 'tensors left by the failed fit').to.equal(tensors);
    expect(liveWorkers(), 'worker threads alive after the failed fit').to.equal(threads);
    const checkpoints = await listCheckpoints(dir);
    expect(checkpoints.map((c) => c.epoch)).to.deep.equal([1]);
    const state = await loadTrainerState(checkpoints[0]!.dir);
    expect(state.epochsCompleted).to.equal(1);
    state.model.dispose();
    state.optimizer.dispose();
    trainer.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a loss or a custom layer the workers cannot rebuild is refused with what to do', async () => {
    const model = denseModel();
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'test-workers-l1', backend: 'cpu', ...silent });
    const error = await trainer.fit(x, target, { batchSize: 30, workers: 2, verbose: 0 }).catch((e: Error) => e);
    expect(error).to.be.instanceOf(WorkerFailedError);
    expect((error as Error).message).to.match(/resolving the losses.*test-workers-l1.*workerImports/s);
    trainer.dispose();
    model.dispose();

    const custom = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [6] }), new Doubling({})] });
    const customTrainer = new Trainer({ model: custom, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    const layerError = await customTrainer.fit(x, target, { batchSize: 30, workers: 2, workerImports: WORKER_IMPORTS, verbose: 0 }).catch((e: Error) => e);
    expect((layerError as Error).message).to.match(/rebuilding the model.*TestWorkersDoubling.*custom layer.*workerImports/s);
    customTrainer.dispose();
    custom.dispose();
  });
});

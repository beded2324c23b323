import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { getLossRegistry, registerLossFunction, UnknownLossError } from '@losskit/core';
import { Trainer } from '@losskit/trainer';
import { listCheckpoints } from '@losskit/trainer/persistence';
import { expectSameNumbers, maeRows, mseRows, seedModel, silent, uniform } from './trainer-helpers.js';

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

describe('Trainer: one loop, no state between fits', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('a failed set-up is not cached: registering the missing loss makes the next fit work', async () => {
    const name = `registered-late-${process.pid}`;
    const x = uniform([4, 4], 1);
    const y = uniform([4, 2], 2);
    const trainer = new Trainer({ model: seedModel(41, 4, 4, 2), optimizer: 'sgd', loss: name, backend: 'cpu', ...silent });
    let first: unknown;
    await trainer.fit(x, y, { epochs: 1 }).catch((error: unknown) => (first = error));
    expect(first).to.be.instanceOf(UnknownLossError);
    registerLossFunction({ name, description: 'registered after the first fit failed' }, (t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1));
    try {
      const { history } = await trainer.fit(x, y, { epochs: 1 });
      expect(history.loss).to.have.length(1);
    } finally {
      trainer.dispose();
      getLossRegistry().unregister(name);
      tf.dispose([x, y]);
    }
  });

  it('a fit with checkpoints after a resumed fit writes only its own history', async () => {
    const resumedDir = await mkdtemp(path.join(os.tmpdir(), 'losskit-loop-resumed-'));
    const laterDir = await mkdtemp(path.join(os.tmpdir(), 'losskit-loop-later-'));
    const x = uniform([8, 4], 3);
    const y = uniform([8, 2], 4);
    const trainer = new Trainer({ model: seedModel(42, 4, 4, 2), optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    await trainer.fit(x, y, { epochs: 2, batchSize: 4, checkpoint: { dir: resumedDir } });
    await trainer.fit(x, y, { epochs: 4, batchSize: 4, checkpoint: { dir: resumedDir }, resume: true });
    // A new run into another directory, without resume: epochs 4..5 of this trainer.
    await trainer.fit(x, y, { epochs: 6, initialEpoch: 4, batchSize: 4, checkpoint: { dir: laterDir } });
    const newest = (await listCheckpoints(laterDir)).at(-1)!;
    const manifest = JSON.parse(await readFile(path.join(newest.dir, 'losskit.json'), 'utf8')) as { history?: Record<string, (number | null)[]> };
    const loss = manifest.history?.loss ?? [];
    // Only this fit's epochs (indices 4 and 5); nothing of the resumed run's history.
    expect(loss.filter((v) => v !== null && v !== undefined)).to.have.length(2);
    trainer.dispose();
    tf.dispose([x, y]);
  });
});

describe('Trainer: metrics are stateful, accumulated over the epoch', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('a loss used as a metric is the mean over all samples, also with unequal batches', async () => {
    const model = seedModel(43, 4, 4, 3, 'linear');
    const x = uniform([7, 4], 5);
    const y = uniform([7, 3], 6);
    const pred = model.predict(x) as tf.Tensor;
    const [Y, P] = [y.arraySync() as number[][], pred.arraySync() as number[][]];
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0), loss: 'mse', metrics: ['mae', 'mean-absolute-error'], backend: 'cpu', ...silent });
    // Batches of 3, 3 and 1: a mean of batch means would weigh the last sample three times.
    const { history } = await trainer.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false });
    expect(history.mae![0]).to.be.closeTo(mean(maeRows(Y, P)), 1e-6);
    expect(history['mean-absolute-error']![0]).to.be.closeTo(mean(maeRows(Y, P)), 1e-6);
    expect(history.loss![0]).to.be.closeTo(mean(mseRows(Y, P)), 1e-6);
    trainer.dispose();
    tf.dispose([x, y, pred]);
  });

  it('multi-output keys: <output>_loss, <output>_<metric>; partial keyed lossWeights, metrics and sampleWeight', async () => {
    const input = tf.input({ shape: [4] });
    const heads = ['a', 'b'].map((name, i) => tf.layers.dense({ units: 2, name, kernelInitializer: tf.initializers.glorotUniform({ seed: 50 + i }) }).apply(input) as tf.SymbolicTensor);
    const model = tf.model({ inputs: input, outputs: heads });
    const x = uniform([4, 4], 7);
    const y = uniform([4, 2], 8);
    const sw = tf.tensor1d([1, 0, 2, 1]);
    const [pa, pb] = (model.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
    const Y = y.arraySync() as number[][];
    const trainer = new Trainer({
      model,
      optimizer: tf.train.sgd(0),
      loss: 'mse',
      // b is left out: weight 1, no metric, unweighted samples.
      lossWeights: { a: 3 },
      metrics: { a: ['mae'] },
      backend: 'cpu',
      ...silent,
    });
    const { history } = await trainer.fit(x, [y, y], { epochs: 1, batchSize: 4, sampleWeight: { a: sw } });
    expect(Object.keys(history).sort()).to.deep.equal(['a_loss', 'a_mae', 'b_loss', 'loss']);
    const weightedA = mseRows(Y, pa!).reduce((s, v, i) => s + v * [1, 0, 2, 1][i]!, 0) / 4;
    const lossB = mean(mseRows(Y, pb!));
    expect(history.a_loss![0]).to.be.closeTo(weightedA, 1e-6);
    expect(history.b_loss![0]).to.be.closeTo(lossB, 1e-6);
    expect(history.loss![0]).to.be.closeTo(3 * weightedA + lossB, 1e-6);
    expect(history.a_mae![0]).to.be.closeTo(mean(maeRows(Y, pa!)), 1e-6);
    expect(trainer.lossWeights).to.deep.equal([3, 1]);
    trainer.dispose();
    tf.dispose([x, y, sw]);
  });
});

describe('Trainer: evaluate and predict', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('evaluate(x, y) and evaluate(dataset) agree with the training keys; predict batches like model.predict', async () => {
    const model = seedModel(44, 4, 4, 3, 'linear');
    const x = uniform([10, 4], 9);
    const y = uniform([10, 3], 10);
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', metrics: ['mae'], backend: 'cpu', ...silent });
    const pred = model.predict(x) as tf.Tensor;
    const [Y, P] = [y.arraySync() as number[][], pred.arraySync() as number[][]];
    const rows = [...tf.unstack(x), ...tf.unstack(y)];
    const dataset = tf.data.zip({ xs: tf.data.array(rows.slice(0, 10)), ys: tf.data.array(rows.slice(10)) }).batch(3);
    const before = tf.memory().numTensors;
    const fromTensors = await trainer.evaluate(x, y, { batchSize: 4 });
    const fromDataset = await trainer.evaluate(dataset as never);
    expect(Object.keys(fromTensors)).to.deep.equal(['loss', 'mae']);
    expect(fromTensors.loss).to.be.closeTo(mean(mseRows(Y, P)), 1e-6);
    expect(fromTensors.mae).to.be.closeTo(mean(maeRows(Y, P)), 1e-6);
    expect(fromDataset.loss).to.be.closeTo(fromTensors.loss!, 1e-6);
    expect(fromDataset.mae).to.be.closeTo(fromTensors.mae!, 1e-6);
    const predicted = (await trainer.predict(x, { batchSize: 3 })) as tf.Tensor;
    expect(predicted.shape).to.deep.equal([10, 3]);
    expectSameNumbers(Array.from(predicted.dataSync()), Array.from(pred.dataSync()), 'predict');
    predicted.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    trainer.dispose();
    tf.dispose([x, y, pred, ...rows]);
  });
});

describe('Trainer: values read asynchronously on backends without cheap sync reads', () => {
  const ASYNC_CPU = 'cpu-read-async-test';
  before(async () => {
    // A second cpu backend under a name the trainer does not know: it takes the await data() path.
    const cpuFactory = tf.findBackendFactory('cpu');
    if (!tf.findBackend(ASYNC_CPU)) tf.registerBackend(ASYNC_CPU, cpuFactory as () => tf.KernelBackend);
    for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: ASYNC_CPU });
    await tf.setBackend('cpu');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the same history and weights as sync reads, NaN guard included, with tensors flat', async () => {
    const run = async (backendName: string) => {
      await tf.setBackend('cpu');
      const model = seedModel(46, 4, 8, 3, 'linear');
      const x = uniform([12, 4], 13);
      const y = tf.concat([tf.fill([4, 3], NaN), uniform([8, 3], 14)]);
      const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', metrics: ['mae'], backend: 'cpu', ...silent });
      await trainer.ready();
      await tf.setBackend(backendName);
      const before = tf.memory().numTensors;
      // Count the synchronous reads the fit makes (a webgpu backend would return zeros for them).
      const dataSync = tf.Tensor.prototype.dataSync;
      let syncReads = 0;
      tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
        syncReads++;
        return dataSync.call(this) as never;
      };
      let history;
      try {
        ({ history } = await trainer.fit(x, y, { epochs: 2, batchSize: 4, seed: 5, shuffle: false, nanPolicy: 'skip-batch', validationData: [x, y] }));
      } finally {
        tf.Tensor.prototype.dataSync = dataSync;
      }
      // The optimizer's slots are new; nothing else may be.
      const grown = tf.memory().numTensors - before;
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      trainer.dispose();
      tf.dispose([x, y]);
      return { history, weights, grown, syncReads };
    };
    const sync = await run('cpu');
    const async = await run(ASYNC_CPU);
    expectSameNumbers(async.history, sync.history, 'history');
    expectSameNumbers(async.weights, sync.weights, 'weights');
    expect(async.grown).to.equal(sync.grown);
    expect(sync.syncReads, 'cpu reads each batch synchronously').to.be.at.least(6);
    expect(async.syncReads, 'no synchronous read on the other backend').to.equal(0);
    expect(sync.history.loss![0]).to.be.a('number').and.satisfy(Number.isFinite);
  });
});

describe('Trainer: never blocks the event loop', function () {
  this.timeout(60_000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('a 20 ms timer fires at least once per 100 ms of fit on the seed model, and stopTraining from it ends the fit within two batches', async () => {
    const model = seedModel(45);
    const x = uniform([2048, 32], 11);
    const y = uniform([2048, 10], 12);
    const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', backend: 'cpu', ...silent });
    // A first short fit creates the optimizer's state; the measured fit is the steady state.
    const [wx, wy] = [x.slice(0, 64), y.slice(0, 64)];
    await trainer.fit(wx, wy, { epochs: 1 });
    tf.dispose([wx, wy]);
    // Measured in this process's CPU time, not wall time: on a shared machine the process may
    // wait for a core for longer than 100 ms, during which neither the fit nor a timer can run.
    const cpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const ticks: number[] = [];
    let batches = 0;
    let batchesAtStop: number | undefined;
    const start = cpuMs();
    const timer = setInterval(() => {
      ticks.push(cpuMs());
      // Let it run for a while, then stop from outside the loop.
      if (cpuMs() - start > 600 && batchesAtStop === undefined) {
        batchesAtStop = batches;
        trainer.stopTraining = true;
      }
    }, 20);
    try {
      await trainer.fit(x, y, { epochs: 100, batchSize: 32, callbacks: { onBatchEnd: () => void batches++ } });
    } finally {
      clearInterval(timer);
    }
    const end = cpuMs();
    expect(batchesAtStop, 'the timer ran during the fit').to.be.a('number');
    expect(batches - batchesAtStop!).to.be.at.most(2);
    // Every 100 ms (of CPU time) of the fit saw the timer fire.
    const points = [start, ...ticks.filter((t) => t <= end), end];
    for (let i = 1; i < points.length; i++) expect(points[i]! - points[i - 1]!, `gap before tick ${i}`).to.be.below(100);
    trainer.dispose();
    tf.dispose([x, y]);
  });
});

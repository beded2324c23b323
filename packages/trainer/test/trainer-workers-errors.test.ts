/**
 * The `workers` fit option when it cannot or should not run as asked: 'auto' choosing the count,
 * bad values refused, a failing worker named with nothing leaked and the last checkpoint intact,
 * and losses or layers the workers cannot rebuild. (Equivalence with one thread: trainer-workers.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import { Trainer, WorkerFailedError } from '@losskit/trainer';
import { listCheckpoints, loadTrainerState } from '@losskit/trainer/persistence';
import { makeTempDir } from './support/persistence-models.js';
import { silent } from './trainer-helpers.js';
import { WORKER_IMPORTS, denseModel, useWorkerData } from './workers-helpers.js';

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
  let target: tf.Tensor;
  useWorkerData((data) => ({ x, target } = data));

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

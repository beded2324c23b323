// What `dispose()` frees on a trainer that Trainer.load / Trainer.resume built: the optimizer the
// load made (its slots), not the model, which the caller keeps using and frees.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { Trainer } from '@losskit/trainer';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

describe('a loaded trainer frees the optimizer its load built', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('load-dispose', (dir) => (root = dir));
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  before(() => (data = formulaData(16)));
  after(() => tf.dispose([data.x, data.y]));

  /** Trains a two-layer model with Adam (slots allocated), runs `persist` with it, frees it. */
  async function withTrainedTrainer(persist: (trainer: Trainer) => Promise<unknown>): Promise<void> {
    const trainer = new Trainer({ model: buildMlp(), optimizer: 'adam', loss: 'mse', ...quiet });
    await trainer.fit(data.x, data.y, { epochs: 2, batchSize: 8, verbose: 0 });
    await persist(trainer);
    trainer.model.dispose();
    trainer.dispose();
  }

  it('Trainer.load: dispose() frees the optimizer slots; the model stays usable until model.dispose()', async () => {
    const dir = path.join(root, 'model');
    await withTrainedTrainer((t) => t.save(dir));
    const baseline = tf.memory().numTensors;
    const loaded = await Trainer.load(dir, quiet);
    const weights = loaded.model.weights.length;
    // Adam's two moments per weight, plus the model's own weights, are what the load allocated.
    expect(tf.memory().numTensors - baseline).to.be.greaterThan(weights);
    loaded.dispose();
    expect(tf.memory().numTensors - baseline, 'only the model is left').to.equal(weights);
    // The model is the caller's: still there to predict with after the trainer is gone.
    const out = loaded.model.predict(data.x) as tf.Tensor;
    expect(out.shape).to.deep.equal([16, 2]);
    out.dispose();
    loaded.model.dispose();
    expect(tf.memory().numTensors).to.equal(baseline);
  });

  it('Trainer.resume: the same for a trainer built from a checkpoint', async () => {
    const ckpt = path.join(root, 'ckpt');
    await withTrainedTrainer((t) => t.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dir: ckpt } }));
    const baseline = tf.memory().numTensors;
    const resumed = await Trainer.resume(ckpt, quiet);
    expect(resumed.epochsCompleted).to.equal(3);
    resumed.dispose();
    resumed.model.dispose();
    expect(tf.memory().numTensors).to.equal(baseline);
  });
});

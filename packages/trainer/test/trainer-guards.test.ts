import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, registerLossFunction } from '@losskit/core';
import { NonFiniteLossError, Trainer, TrainerInputError, UnknownOptimizerError } from '@losskit/trainer';
import { copyWeights, seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

async function expectRejects(promise: Promise<unknown>, type: Function, pattern: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    expect((error as Error).message).to.match(pattern);
    return error as Error;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

describe('Trainer: guards, determinism and memory', function () {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('stops on a NaN loss naming the term, epoch and batch, without applying that batch', async () => {
    const model = seedModel(20, 4, 4, 2, 'linear');
    const before = await weightsOf(model);
    const x = uniform([8, 4], 81);
    const y = tf.tensor2d([[NaN, 0], ...Array.from({ length: 7 }, () => [0.5, 0.5])]);
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    const error = (await expectRejects(trainer.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false }), NonFiniteLossError, /'mse'.*epoch 1, batch 1/)) as NonFiniteLossError;
    expect([error.term, error.epoch, error.batch]).to.deep.equal(['mse', 0, 0]);
    expect(await weightsOf(model)).to.deep.equal(before);
    tf.dispose([x, y]);
  });

  it("skips non-finite batches with nanPolicy 'skip-batch': same weights as training without them", async () => {
    const model = seedModel(21, 4, 4, 2, 'linear');
    const reference = seedModel(22, 4, 4, 2, 'linear');
    copyWeights(model, reference);
    const x = uniform([12, 4], 91);
    const yClean = uniform([12, 2], 92);
    const mask = tf.tensor2d(Array.from({ length: 12 }, (_, i) => (i === 5 ? [NaN, 1] : [1, 1])));
    const y = tf.mul(yClean, mask);
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    const { history } = await trainer.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, nanPolicy: 'skip-batch' });
    expect(history.loss!.every(Number.isFinite)).to.equal(true);

    // Reference: the same data without batch 1 (rows 4..7).
    const keep = tf.tensor1d([0, 1, 2, 3, 8, 9, 10, 11], 'int32');
    const ref = new Trainer({ model: reference, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    const refHistory = await ref.fit(tf.gather(x, keep), tf.gather(yClean, keep), { epochs: 2, batchSize: 4, shuffle: false });
    expect(history.loss).to.deep.equal(refHistory.history.loss);
    expect(await weightsOf(model)).to.deep.equal(await weightsOf(reference));
    tf.dispose([x, yClean, mask, y, keep]);
  });

  it("an optimizer made from a name is the trainer's: dispose frees its slots too (an instance passed in stays the caller's)", async () => {
    const x = uniform([16, 4], 95);
    const y = uniform([16, 2], 96);
    const before = tf.memory().numTensors;
    const model = seedModel(23, 4, 4, 2, 'linear');
    const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', backend: 'cpu', ...silent });
    await trainer.fit(x, y, { epochs: 1, batchSize: 8 });
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).to.equal(before);

    const own = tf.train.adam(0.01);
    const other = seedModel(24, 4, 4, 2, 'linear');
    const second = new Trainer({ model: other, optimizer: own, loss: 'mse', backend: 'cpu', ...silent });
    await second.fit(x, y, { epochs: 1, batchSize: 8 });
    second.dispose();
    // Still usable: its slots are alive.
    const slots = await own.getWeights();
    expect(slots.every(({ tensor }) => !tensor.isDisposed)).to.equal(true);
    tf.dispose(slots.map(({ tensor }) => tensor).filter((tensor) => !(tensor instanceof tf.Variable))); // getWeights' own counters
    own.dispose();
    other.dispose();
    tf.dispose([x, y]);
  });

  it("skip-batch also keeps a NaN batch out of BatchNormalization's moving statistics", async () => {
    const bnModel = () => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 41 }) }));
      model.add(tf.layers.batchNormalization());
      return model;
    };
    const x = uniform([12, 4], 93);
    const yClean = uniform([12, 3], 94);
    const mask = tf.tensor2d(Array.from({ length: 12 }, (_, i) => (i === 6 ? [1, NaN, 1] : [1, 1, 1])));
    const y = tf.mul(yClean, mask);
    const model = bnModel();
    await new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent }).fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, nanPolicy: 'skip-batch' });
    const reference = bnModel();
    const keep = tf.tensor1d([0, 1, 2, 3, 8, 9, 10, 11], 'int32');
    const [xKept, yKept] = [tf.gather(x, keep), tf.gather(yClean, keep)];
    await new Trainer({ model: reference, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent }).fit(xKept, yKept, { epochs: 2, batchSize: 4, shuffle: false });
    const weights = await weightsOf(model);
    // Dense kernel, bias, gamma, beta, moving mean, moving variance: all equal, none NaN.
    expect(weights.every((w) => w.every(Number.isFinite))).to.equal(true);
    expect(weights).to.deep.equal(await weightsOf(reference));
    tf.dispose([x, yClean, mask, y, keep, xKept, yKept]);
  });

  it('gives identical histories for the same seed, and a resumed run matches an uninterrupted one', async () => {
    const x = uniform([40, 6], 101);
    const y = uniform([40, 3], 102);
    const fresh = () => seedModel(30, 6, 8, 3);
    const run = async (model: tf.LayersModel, optimizer: tf.Optimizer, epochs: number, initialEpoch = 0) =>
      new Trainer({ model, optimizer, loss: 'mse', backend: 'cpu', ...silent }).fit(x, y, { epochs, initialEpoch, batchSize: 8, seed: 7 });

    const full = await run(fresh(), tf.train.adam(0.01), 4);
    const again = await run(fresh(), tf.train.adam(0.01), 4);
    expect(again.history).to.deep.equal(full.history);

    const firstModel = fresh();
    const firstOptimizer = tf.train.adam(0.01);
    const first = await run(firstModel, firstOptimizer, 2);
    // "Restart": a new model and optimizer restored from the in-memory weights and optimizer state.
    const resumedModel = fresh();
    copyWeights(firstModel, resumedModel);
    const resumedOptimizer = tf.train.adam(0.01);
    await resumedOptimizer.setWeights(await firstOptimizer.getWeights());
    const rest = await run(resumedModel, resumedOptimizer, 4, 2);
    expect(rest.epoch).to.deep.equal([2, 3]);
    expect([...first.history.loss!, ...rest.history.loss!]).to.deep.equal(full.history.loss);
    tf.dispose([x, y]);
  });

  it('keeps tf.memory().numTensors flat across epochs, with validation, weights and metrics', async () => {
    const model = seedModel(40, 4, 8, 3);
    const x = uniform([30, 4], 111);
    const y = uniform([30, 3], 112);
    const sw = uniform([30], 113);
    const counts: number[] = [];
    const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', metrics: ['accuracy', 'mae'], backend: 'cpu', ...silent });
    await trainer.fit(x, y, {
      epochs: 4,
      batchSize: 8,
      validationSplit: 0.2,
      sampleWeight: sw,
      classWeight: { 1: 2 },
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    // Epoch 0 creates the optimizer's slots; after that nothing may accumulate.
    expect(new Set(counts.slice(1)).size).to.equal(1);
    const afterFirstFit = tf.memory().numTensors;
    await trainer.fit(x, y, { epochs: 2, batchSize: 8 });
    expect(tf.memory().numTensors).to.equal(afterFirstFit);
    tf.dispose([x, y, sw]);
  });

  it('frees every tensor when a loss throws mid-epoch', async () => {
    let calls = 0;
    let throwAt = Infinity;
    registerLossFunction({ name: 'test-throws-on-third-batch', description: 'throws on its third call once armed' }, (t, p) => {
      if (++calls === throwAt) throw new Error('loss failed on purpose');
      return tf.mean(tf.square(tf.sub(t, p)), -1);
    });
    try {
      const model = seedModel(41, 4, 4, 2);
      const x = uniform([20, 4], 121);
      const y = uniform([20, 2], 122);
      const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'test-throws-on-third-batch', backend: 'cpu', ...silent });
      // A first fit creates what lives on (the optimizer's constants); then arm the loss.
      await trainer.fit(x, y, { epochs: 1, batchSize: 4 });
      const before = tf.memory().numTensors;
      throwAt = calls + 3;
      await expectRejects(trainer.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.2, sampleWeight: tf.ones([20]) }), Error, /failed on purpose/);
      // The only new tensor is the sampleWeight passed inline, which the caller owns.
      expect(tf.memory().numTensors).to.equal(before + 1);
      tf.dispose([x, y]);
    } finally {
      getLossRegistry().unregister('test-throws-on-third-batch');
    }
  });

  describe('bad input: a clear error before any weight changes', () => {
    // Built in before(), not in this describe body (which runs when the file loads, before the
    // outer before() selects cpu).
    let model: tf.Sequential;
    let x: tf.Tensor;
    let y: tf.Tensor;
    let trainer: Trainer;
    let initial: Float32Array[];
    before(async () => {
      model = seedModel(50, 4, 4, 2);
      x = uniform([10, 4], 131);
      y = uniform([10, 2], 132);
      trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
      initial = await weightsOf(model);
    });
    afterEach(async () => expect(await weightsOf(model)).to.deep.equal(initial));
    after(() => tf.dispose([x, y]));

    it('unknown optimizer', () => {
      expect(() => new Trainer({ model, optimizer: 'adamw-turbo', loss: 'mse' })).to.throw(UnknownOptimizerError, /Unknown optimizer "adamw-turbo".*adam/);
    });
    it('x/y length mismatch', async () => {
      const short = y.slice(0, 7);
      await expectRejects(trainer.fit(x, short, { epochs: 1 }), TrainerInputError, /x has 10 samples but y has 7/);
      short.dispose();
    });
    it('y shape not matching the model output', async () => {
      const wide = tf.zeros([10, 5]);
      await expectRejects(trainer.fit(x, wide, { epochs: 1 }), TrainerInputError, /y for output .* has shape \[10,5\] but the model outputs \[batch,2\]/);
      wide.dispose();
    });
    it('x shape not matching the model input', async () => {
      const narrow = tf.zeros([10, 3]);
      await expectRejects(trainer.fit(narrow, y, { epochs: 1 }), TrainerInputError, /x for input .* has shape \[10,3\] but the model expects \[batch,4\]/);
      narrow.dispose();
    });
    it('empty data', async () => {
      const ex = tf.zeros([0, 4]);
      const ey = tf.zeros([0, 2]);
      await expectRejects(trainer.fit(ex, ey, { epochs: 1 }), TrainerInputError, /empty \(0 samples\)/);
      tf.dispose([ex, ey]);
    });
    it('batchSize 0 or not an integer', async () => {
      await expectRejects(trainer.fit(x, y, { batchSize: 0 }), TrainerInputError, /batchSize must be a whole number >= 1 \(got 0\)/);
      await expectRejects(trainer.fit(x, y, { batchSize: 2.5 }), TrainerInputError, /batchSize .* \(got 2.5\)/);
    });
    it('sampleWeight of the wrong length', async () => {
      const sw = tf.ones([4]);
      await expectRejects(trainer.fit(x, y, { sampleWeight: sw }), TrainerInputError, /sampleWeight .* shape \[4\] but there are 10 samples/);
      sw.dispose();
    });
    it('unknown output name in per-output options', async () => {
      await expectRejects(
        new Trainer({ model, optimizer: 'sgd', loss: { nope: 'mse' }, backend: 'cpu', ...silent }).fit(x, y),
        TrainerInputError,
        /unknown output name\(s\) 'nope'/,
      );
      const output = model.outputNames[0]!;
      await expectRejects(
        new Trainer({ model, optimizer: 'sgd', loss: 'mse', lossWeights: { [`${output}x`]: 2 }, backend: 'cpu', ...silent }).fit(x, y),
        TrainerInputError,
        new RegExp(`unknown output name\\(s\\) '${output}x' \\(did you mean '${output}'\\?\\)`),
      );
    });
  });
});

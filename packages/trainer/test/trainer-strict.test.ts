import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { LossKitError, LossSpecError } from '@losskit/core';
import { AllBatchesSkippedError, Trainer, TrainerInputError, UnknownMetricError, UnknownOptimizerError } from '@losskit/trainer';
import { seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** A trainer on a small seed model, its data, and the weights before anything ran. */
async function setUp(options: Record<string, unknown> = {}) {
  const model = seedModel(31, 4, 4, 3);
  const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent, ...options });
  const x = uniform([6, 4], 1);
  const y = uniform([6, 3], 2);
  return { model, trainer, x, y, before: await weightsOf(model) };
}

describe('Trainer: strict at every entrance', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describe('fit options', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['a typo of epochs', { epoch: 3 }, /unknown option 'epoch' \(did you mean 'epochs'\?\)/],
      ['a Python spelling', { batch_size: 8 }, /unknown option 'batch_size' \(did you mean 'batchSize'\?\)/],
      ['a number as a string', { batchSize: '32' }, /batchSize must be a whole number >= 1 \(got "32"\): that is a string; write the number without quotes/],
      ['seed: {}', { seed: {} }, /seed must be a finite number or a non-empty string/],
      ["callbacks: 'x'", { callbacks: 'x' }, /callbacks must be an object with methods such as onEpochEnd/],
      ['an earlyStopping typo', { earlyStopping: { patiance: 2 } }, /earlyStopping: unknown option 'patiance' \(did you mean 'patience'\?\)/],
      ['the removed progress option', { progress: 'silent' }, /'progress' is not an option here; progress was replaced by verbose/],
      ['a bad yieldEvery', { yieldEvery: 'sometimes' }, /yieldEvery must be 'auto', 'batch', 'never' or a number/],
    ];
    for (const [what, options, pattern] of cases) {
      it(`refuses ${what} before any weight changes`, async () => {
        const { model, trainer, x, y, before } = await setUp();
        const error = await rejection(trainer.fit(x, y, options as never));
        expect(error).to.be.instanceOf(TrainerInputError);
        expect(error.message).to.match(pattern);
        expect(await weightsOf(model)).to.deep.equal(before);
        tf.dispose([x, y]);
      });
    }

    it('refuses fit(dataset, y, options): a dataset carries its targets', async () => {
      const { trainer, x, y } = await setUp();
      const dataset = tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(3);
      const error = await rejection(trainer.fit(dataset as never, y as never, { epochs: 1 }));
      expect(error).to.be.instanceOf(TrainerInputError);
      expect(error.message).to.match(/a dataset carries its targets.*fit\(dataset, options\)/);
      tf.dispose([x, y]);
    });

    it('refuses evaluate options it does not know', async () => {
      const { trainer, x, y } = await setUp();
      const error = await rejection(trainer.evaluate(x, y, { batchsize: 2 } as never));
      expect(error.message).to.match(/evaluate: unknown option 'batchsize' \(did you mean 'batchSize'\?\)/);
      tf.dispose([x, y]);
    });
  });

  describe('trainer options', () => {
    it('an unknown option is an error; a learning rate says where it goes', () => {
      const model = seedModel(32, 4, 4, 3);
      const error = thrown(() => new Trainer({ model, optimizer: 'adam', loss: 'mse', learningRate: 0.1 } as never));
      expect(error).to.be.instanceOf(TrainerInputError);
      expect(error.message).to.match(/'learningRate' is not an option here; set the learning rate on the optimizer/);
      expect(thrown(() => new Trainer({ model, optimizer: 'adam', loss: 'mse', metric: ['mae'] } as never)).message).to.match(/did you mean 'metrics'/);
    });

    it("optimizer 'constructor' is an unknown optimizer, not a TypeError", () => {
      const model = seedModel(33, 4, 4, 3);
      const error = thrown(() => new Trainer({ model, optimizer: 'constructor', loss: 'mse' }));
      expect(error).to.be.instanceOf(UnknownOptimizerError);
      expect(thrown(() => new Trainer({ model, optimizer: 'adamm', loss: 'mse' })).message).to.match(/did you mean 'adam'/);
    });

    it('a spec key typo and a weight on a single spec are errors', async () => {
      for (const [loss, pattern] of [
        [{ name: 'mse', reducton: 'sum' }, /unknown key "reducton" \(did you mean 'reduction'\?\)/],
        [{ name: 'mse', weight: 2 }, /'weight' is only for the terms of a sum.*lossWeights/],
      ] as const) {
        const trainer = new Trainer({ model: seedModel(34, 4, 4, 3), optimizer: 'sgd', loss: loss as never, backend: 'cpu', ...silent });
        const error = await rejection(trainer.ready());
        expect(error).to.be.instanceOf(LossSpecError);
        expect(error.message).to.match(pattern);
      }
    });

    it('negative, non-finite and string loss weights are refused', async () => {
      const input = tf.input({ shape: [4] });
      const model = tf.model({ inputs: input, outputs: ['a', 'b'].map((name) => tf.layers.dense({ units: 2, name }).apply(input) as tf.SymbolicTensor) });
      for (const [weights, pattern] of [
        [[1, -1], /weight of output 'b' must be a finite number >= 0 \(got -1\)/],
        [{ a: Infinity }, /weight of output 'a' must be a finite number >= 0 \(got Infinity\)/],
        [{ b: '2' }, /that is a string; write the number without quotes/],
      ] as const) {
        const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', lossWeights: weights as never, backend: 'cpu', ...silent });
        const error = await rejection(trainer.ready());
        expect(error).to.be.instanceOf(TrainerInputError);
        expect(error.message).to.match(pattern);
      }
    });

    it('metric errors say "metric", with a did-you-mean, and prototype keys are ordinary unknown names', async () => {
      const typo = new Trainer({ model: seedModel(35, 4, 4, 3), optimizer: 'sgd', loss: 'mse', metrics: ['acuracy'], backend: 'cpu', ...silent });
      const error = await rejection(typo.ready());
      expect(error).to.be.instanceOf(UnknownMetricError);
      expect(error.message).to.match(/^Unknown metric 'acuracy' \(did you mean 'accuracy'\?\)/);
      expect(error.message).not.to.match(/pnpm add/);
      for (const name of ['constructor', '__proto__']) {
        const trainer = new Trainer({ model: seedModel(36, 4, 4, 3), optimizer: 'sgd', loss: 'mse', metrics: [name], backend: 'cpu', ...silent });
        expect(await rejection(trainer.ready()), name).to.be.instanceOf(UnknownMetricError);
      }
    });
  });

  describe('data', () => {
    it('a string tensor y says to encode the labels', async () => {
      const { trainer, x } = await setUp();
      const y = tf.tensor(['a', 'b', 'c', 'a', 'b', 'c']);
      const error = await rejection(trainer.fit(x, y, { epochs: 1 }));
      expect(error).to.be.instanceOf(TrainerInputError);
      expect(error.message).to.match(/dtype 'string'; training needs numbers/);
      tf.dispose([x, y]);
    });

    it('plain nested arrays are converted (shape checked); typed arrays say how to make a tensor', async () => {
      const { trainer, model, x, y } = await setUp();
      const rows = x.arraySync() as number[][];
      const targets = y.arraySync() as number[][];
      const before = tf.memory().numTensors;
      const fromArrays = await trainer.fit(rows, targets, { epochs: 1, batchSize: 3, shuffle: false });
      expect(tf.memory().numTensors).to.equal(before);
      expect(fromArrays.history.loss![0]).to.be.a('number');
      const ragged = await rejection(trainer.fit([[1, 2, 3, 4], [1, 2]], targets.slice(0, 2), { epochs: 1 }));
      expect(ragged.message).to.match(/not a rectangular array of numbers \(x\[1\] has 2 entries where x\[0\] has 4\)/);
      const wrong = await rejection(trainer.fit(rows.map((r) => r.slice(0, 3)), targets, { epochs: 1 }));
      expect(wrong.message).to.match(/has shape \[6,3\] but the model expects \[batch,4\]/);
      const typed = await rejection(trainer.fit(new Float32Array(24) as never, y, { epochs: 1 }));
      expect(typed.message).to.match(/Float32Array of 24 values, which has no shape; make a tensor .*tf\.tensor2d/);
      expect(tf.memory().numTensors).to.equal(before);
      void model;
      tf.dispose([x, y]);
    });

    it('a dataset of [xs, ys] pairs trains like one of { xs, ys }', async () => {
      const make = () => seedModel(37, 4, 4, 3);
      const x = uniform([6, 4], 3);
      const y = uniform([6, 3], 4);
      const pairs = tf.data.zip([tf.data.array(tf.unstack(x)).batch(3), tf.data.array(tf.unstack(y)).batch(3)]);
      const objects = tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(3);
      const a = make();
      const b = make();
      const viaPairs = await new Trainer({ model: a, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent }).fit(pairs as never, { epochs: 2 });
      const viaObjects = await new Trainer({ model: b, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent }).fit(objects as never, { epochs: 2 });
      expect(viaPairs.history).to.deep.equal(viaObjects.history);
      expect(await weightsOf(a)).to.deep.equal(await weightsOf(b));
      tf.dispose([x, y]);
    });

    it('a classWeight key outside the classes of the output is an error', async () => {
      const { trainer, x, y } = await setUp();
      const error = await rejection(trainer.fit(x, y, { epochs: 1, classWeight: { 0: 1, 5: 2 } }));
      expect(error.message).to.match(/class 5 does not exist; the output has 3 classes \(0 to 2\)/);
      tf.dispose([x, y]);
    });

    it('negative sample weights are refused', async () => {
      const { trainer, x, y } = await setUp();
      const sw = tf.tensor1d([1, 1, -1, 1, 1, 1]);
      const error = await rejection(trainer.fit(x, y, { epochs: 1, sampleWeight: sw }));
      expect(error.message).to.match(/sampleWeight .* negative value \(-1\); weights must be finite and >= 0/);
      tf.dispose([x, y, sw]);
    });

    it("when every batch of an epoch is non-finite under 'skip-batch', fit stops with the error instead of logging NaN", async () => {
      const { model, trainer, before } = await setUp();
      const x = tf.fill([6, 4], NaN);
      const y = uniform([6, 3], 5);
      const error = await rejection(trainer.fit(x, y, { epochs: 2, batchSize: 3, nanPolicy: 'skip-batch' }));
      expect(error).to.be.instanceOf(AllBatchesSkippedError);
      expect(error).to.be.instanceOf(LossKitError);
      expect(error.message).to.match(/Every batch of epoch 1 \(2\) had a non-finite loss \('mse'\)/);
      expect(await weightsOf(model)).to.deep.equal(before);
      tf.dispose([x, y]);
    });
  });
});

import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer, TrainerInputError } from '@losskit/trainer';
import { rejection, seedModel, silent, uniform, weightsOf } from './trainer-helpers.js';

/**
 * Input mistakes a newcomer makes with datasets, target shapes and option names: each is a
 * TrainerInputError that says what is wrong and how to fix it, and nothing trains or leaks.
 */
describe('Trainer: input mistakes are explained', () => {
  // Made in before(): at load time another file's backend (wasm) may not be ready.
  let x: tf.Tensor;
  let y: tf.Tensor;
  // The datasets' rows exist before a test counts tensors: each iteration hands out clones.
  let xRows: tf.Tensor[];
  let yRows: tf.Tensor[];
  const rows = (t: tf.Tensor) => tf.data.array(t === x ? xRows : yRows);

  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([16, 4], 1);
    y = uniform([16, 2], 2);
    xRows = tf.unstack(x);
    yRows = tf.unstack(y);
  });
  after(() => tf.dispose([x, y, ...xRows, ...yRows]));

  /** Runs `call` on a fresh trainer; returns its error after checking that the weights and the tensor count did not move. */
  async function failure(call: (trainer: Trainer) => Promise<unknown>, loss = 'mse'): Promise<Error> {
    const trainer = new Trainer({ model: seedModel(3, 4, 8, 2, 'linear'), optimizer: 'sgd', loss, backend: 'cpu', ...silent });
    await trainer.ready();
    const weights = await weightsOf(trainer.model);
    const before = tf.memory().numTensors;
    const error = await rejection(call(trainer));
    expect(tf.memory().numTensors, 'tensors').to.equal(before);
    expect(await weightsOf(trainer.model), 'weights').to.deep.equal(weights);
    trainer.dispose();
    trainer.model.dispose();
    expect(error).to.be.instanceOf(TrainerInputError);
    return error;
  }

  it('a dataset of single samples (no .batch) says it looks unbatched, not that x and y counts differ', async () => {
    for (const [where, call] of [
      ['fit', (t: Trainer) => t.fit(tf.data.zip({ xs: rows(x), ys: rows(y) }))],
      ['evaluate', (t: Trainer) => t.evaluate(tf.data.zip({ xs: rows(x), ys: rows(y) }))],
    ] as const) {
      const error = await failure(call);
      expect(error.message).to.equal(
        `${where}: dataset batch 0 looks unbatched: its x has shape [4], one sample of the model's input [batch,4]; batch the dataset before fitting, e.g. tf.data.zip({ xs, ys }).batch(32).`,
      );
    }
  });

  it('a batchSize given with a dataset is refused: the dataset sets the batches', async () => {
    const batched = () => tf.data.zip({ xs: rows(x), ys: rows(y) }).batch(8);
    const fitError = await failure((t) => t.fit(batched(), { epochs: 1, batchSize: 4 }));
    expect(fitError.message).to.match(/^fit\(dataset, \{ batchSize \}\): a dataset is batched by the dataset itself.*call dataset\.batch\(n\) before fit\.$/);
    const evaluateError = await failure((t) => t.evaluate(batched(), { batchSize: 4 }));
    expect(evaluateError.message).to.match(/^evaluate\(dataset, \{ batchSize \}\).*dataset\.batch\(n\) before evaluate\.$/);
  });

  it('a batched tf.data.zip([xs, ys]), which yields one tensor, says to zip an object', async () => {
    const error = await failure((t) => t.fit(tf.data.zip([rows(x), rows(y)]).batch(8)));
    expect(error.message).to.match(/^fit: dataset batch 0 is one tensor of shape \[8,2\], not \{ xs, ys \} or \[xs, ys\].*tf\.data\.zip\(\{ xs, ys \}\)\.batch\(32\)/);
  });

  it('targets of the wrong shape are reported with their real shapes only, not a one-sample probe', async () => {
    const wrong = tf.ones([16, 3]);
    const error = await failure((t) => t.fit(x, wrong, { epochs: 1 }));
    wrong.dispose();
    expect(error.message).to.match(/^fit: y for output '\w+' has shape \[16,3\] but the model outputs \[batch,2\]/);
    expect(error.message.replace(/'\w+'/, "'out'")).to.equal(
      "fit: y for output 'out' has shape [16,3] but the model outputs [batch,2]; make the targets match the last layer (e.g. one-hot encode class labels, or change the last layer's units).",
    );
  });

  it('a loss that says more than "the shapes differ" is still quoted, marked as tried on one sample', async () => {
    const wrong = tf.ones([16, 3]);
    const error = await failure((t) => t.fit(x, wrong, { epochs: 1 }), 'sparse-categorical-crossentropy');
    wrong.dispose();
    expect(error.message).to.match(/change the last layer's units\)\. The loss, tried on the first sample, reported: Loss 'sparse-categorical-crossentropy': expected one integer label per prediction row/);
  });

  it("predict's option typos get a did-you-mean, also for a name cut short", async () => {
    const error = await failure((t) => t.predict(x, { batch: 4 } as never));
    expect(error.message).to.equal("predict: unknown option 'batch' (did you mean 'batchSize'?). Options are: batchSize, yieldEvery.");
  });
});

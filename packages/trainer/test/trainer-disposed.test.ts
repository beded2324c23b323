import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LossKitError } from '@losskit/core';
import { Trainer, TrainerInputError } from '@losskit/trainer';
import { rejection, seedModel, silent, uniform } from './trainer-helpers.js';

/** Every public entry refuses a disposed trainer or model with a TrainerInputError saying what to do. */
describe('Trainer: a disposed trainer or model', () => {
  let dir: string;
  // Made in before(): at load time another file's backend (wasm) may not be ready.
  let x: tf.Tensor;
  let y: tf.Tensor;
  const entries = (target: string) =>
    [
      ['fit', (t: Trainer) => t.fit(x, y, { epochs: 1 })],
      ['evaluate', (t: Trainer) => t.evaluate(x, y)],
      ['predict', (t: Trainer) => t.predict(x)],
      ['save', (t: Trainer) => t.save(target)],
    ] as const;

  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([12, 4], 1);
    y = uniform([12, 2], 2);
    dir = await mkdtemp(path.join(tmpdir(), 'losskit-disposed-'));
  });
  after(async () => {
    tf.dispose([x, y]);
    await rm(dir, { recursive: true, force: true });
  });

  const trained = async () => {
    const trainer = new Trainer({ model: seedModel(5, 4, 8, 2, 'linear'), optimizer: 'adam', loss: 'mse', backend: 'cpu', ...silent });
    await trainer.fit(x, y, { epochs: 1, batchSize: 4 });
    return trainer;
  };

  async function expectRefused(trainer: Trainer, message: RegExp): Promise<void> {
    const before = tf.memory().numTensors;
    for (const [where, call] of entries(path.join(dir, 'never'))) {
      const error = await rejection(call(trainer));
      expect(error, where).to.be.instanceOf(TrainerInputError).and.instanceOf(LossKitError);
      expect(error.message, where).to.match(new RegExp(`^${where}: ${message.source}`));
      expect(tf.memory().numTensors, where).to.equal(before);
    }
    expect(await readdir(dir), 'save wrote nothing').to.deep.equal([]);
  }

  it('after trainer.dispose(): says the trainer was disposed, and its model still trains in a new Trainer', async () => {
    const trainer = await trained();
    trainer.dispose();
    await expectRefused(trainer, /this trainer was disposed \(trainer\.dispose\(\) freed its losses, metrics and the optimizer it made\); make a new Trainer/);
    // What the message says to do works: dispose() left the model to its owner.
    const again = new Trainer({ model: trainer.model, optimizer: 'adam', loss: 'mse', backend: 'cpu', ...silent });
    const { history } = await again.fit(x, y, { epochs: 1, batchSize: 4 });
    expect(history.loss![0]).to.be.a('number').and.satisfy(Number.isFinite);
    again.dispose();
    trainer.model.dispose();
  });

  it("after model.dispose(): says the model was disposed, for a trained trainer and for one made on a disposed model", async () => {
    const trainer = await trained();
    trainer.model.dispose();
    await expectRefused(trainer, /the trainer's model was disposed \(model\.dispose\(\) freed its weights\); build or load the model again/);
    trainer.dispose();

    const model = seedModel(6, 4, 8, 2, 'linear');
    model.dispose();
    const late = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', ...silent });
    await expectRefused(late, /the trainer's model was disposed/);
    late.dispose();
  });
});

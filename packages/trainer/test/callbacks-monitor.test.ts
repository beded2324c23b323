import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSchedule, CsvLogger, currentLearningRate, OptimizerOptionsError, ReduceLROnPlateau, SaveBest, ScheduleError, TensorBoard, Trainer, TrainerInputError, TrainingOptimizer } from '@losskit/trainer';
import { getLossRegistry, registerLossFunction } from '@losskit/core';
import { rejection, seedModel, silent, uniform } from './trainer-helpers.js';

describe('trainer: a misspelt monitor or callback option is named, with what was meant', () => {
  let dir: string;
  // Made in before(): at load time another file's backend (wasm) may not be ready.
  let x: tf.Tensor;
  let y: tf.Tensor;
  const trainer = () => new Trainer({ model: seedModel(1, 4, 8, 2, 'linear'), optimizer: 'sgd', loss: 'mse', ...silent });

  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([16, 4], 1);
    y = uniform([16, 2], 2);
    dir = await mkdtemp(path.join(tmpdir(), 'losskit-monitor-'));
  });
  after(async () => {
    tf.dispose([x, y]);
    await rm(dir, { recursive: true, force: true });
  });

  it("a misspelt monitor with mode 'auto' is 'not logged' with the logged key meant, for SaveBest, ReduceLROnPlateau and earlyStopping", async () => {
    const t = trainer();
    await t.ready();
    const before = tf.memory().numTensors;
    const fits: [string, () => Promise<unknown>][] = [
      ['SaveBest', () => t.fit(x, y, { epochs: 1, validationSplit: 0.25, callbacks: new SaveBest(t, { dir: path.join(dir, 'best'), monitor: 'val_los' }) })],
      ['ReduceLROnPlateau', () => t.fit(x, y, { epochs: 1, validationSplit: 0.25, callbacks: new ReduceLROnPlateau(t.optimizer, { monitor: 'val_los' }) })],
      ['earlyStopping', () => t.fit(x, y, { epochs: 1, validationSplit: 0.25, earlyStopping: { monitor: 'val_los' } })],
    ];
    for (const [owner, fit] of fits) {
      const error = await rejection(fit());
      expect(error, owner).to.be.instanceOf(TrainerInputError);
      expect(error.message, owner).to.match(new RegExp(`^${owner}: monitor 'val_los' is not logged \\(did you mean 'val_loss'\\?\\); logged keys are loss, val_loss`));
      expect(tf.memory().numTensors, owner).to.equal(before);
    }
    t.dispose();
    t.model.dispose();
  });

  it('a val_ monitor without validation data says where val_ keys come from', async () => {
    const t = trainer();
    const error = await rejection(t.fit(x, y, { epochs: 1, callbacks: new SaveBest(t, { dir: path.join(dir, 'none') }) }));
    expect(error.message).to.equal(
      "SaveBest: monitor 'val_loss' is not logged; logged keys are loss (val_ keys need validation data: validationSplit or validationData).",
    );
    t.dispose();
    t.model.dispose();
  });

  it("a logged key whose direction 'auto' cannot tell still asks for mode; with mode it is used", async () => {
    const plateau = new ReduceLROnPlateau(tf.train.sgd(0.1), { monitor: 'score', patience: 0 });
    plateau.onTrainBegin();
    expect(() => plateau.onEpochEnd(0, { score: 1 })).to.throw(TrainerInputError, /cannot tell whether 'score' should go up or down .*pass mode: 'max' or mode: 'min'/);
    const optimizer = tf.train.sgd(0.1);
    const rising = new ReduceLROnPlateau(optimizer, { monitor: 'score', mode: 'max', patience: 0, minDelta: 0 });
    rising.onTrainBegin();
    rising.onEpochEnd(0, { score: 1 });
    rising.onEpochEnd(1, { score: 2 }); // went up: an improvement in 'max' mode, the rate stays
    expect(currentLearningRate(optimizer)).to.be.closeTo(0.1, 1e-9);
    rising.onEpochEnd(2, { score: 1 });
    expect(currentLearningRate(optimizer)).to.be.closeTo(0.01, 1e-9);
  });

  it('a monitor naming a loss registered after the callback was made takes its direction at the first epoch', () => {
    const name = `late-loss-${process.pid}`;
    const optimizer = tf.train.sgd(0.1);
    const plateau = new ReduceLROnPlateau(optimizer, { monitor: `val_${name}`, patience: 0, minDelta: 0 });
    // As discovery at trainer.ready() would: the loss exists only now.
    registerLossFunction({ name, description: 'registered late' }, (t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1));
    plateau.onTrainBegin();
    plateau.onEpochEnd(0, { [`val_${name}`]: 1 });
    plateau.onEpochEnd(1, { [`val_${name}`]: 2 }); // a loss went up: no improvement ('min'), the rate drops
    expect(currentLearningRate(optimizer)).to.be.closeTo(0.01, 1e-9);
    getLossRegistry().unregister(name);
    optimizer.dispose();
  });

  it('option typos in the callback and TrainingOptimizer constructors get a did-you-mean', () => {
    const t = trainer();
    const cases: [string, () => unknown, RegExp][] = [
      ['SaveBest', () => new SaveBest(t, { dir, monitr: 'loss' } as never), /^SaveBest: unknown option 'monitr' \(did you mean 'monitor'\?\)\. Options are: dir, monitor, mode, minDelta\.$/],
      ['CsvLogger', () => new CsvLogger(path.join(dir, 'log.csv'), { seperator: ';' } as never), /^CsvLogger: unknown option 'seperator' \(did you mean 'separator'\?\)/],
      ['ReduceLROnPlateau', () => new ReduceLROnPlateau(t.optimizer, { paitence: 2 } as never), /^ReduceLROnPlateau: unknown option 'paitence' \(did you mean 'patience'\?\)/],
      ['TensorBoard', () => new TensorBoard(path.join(dir, 'tb'), { batch: true } as never), /^TensorBoard: unknown option 'batch' \(did you mean 'batches'\?\)/],
    ];
    for (const [name, make, message] of cases) expect(make, name).to.throw(TrainerInputError, message);
    expect(() => new TrainingOptimizer({ optimizer: 'sgd', clipNorm: 1 } as never)).to.throw(OptimizerOptionsError, /unknown option\(s\) clipNorm \(did you mean 'clipnorm'\?\)/);
    t.dispose();
    t.model.dispose();
  });

  it('a schedule name cut short or a misspelt schedule option gets a did-you-mean', () => {
    expect(() => createSchedule({ name: 'cosine' as never, options: {} })).to.throw(ScheduleError, /unknown schedule "cosine" \(did you mean 'cosine-decay'\?\)/);
    expect(() => createSchedule({ name: 'exponential', options: {} } as never)).to.throw(ScheduleError, /did you mean 'exponential-decay'/);
    expect(() => createSchedule({ name: 'cosine-decay', options: { initialLearningrate: 0.1, decaySteps: 10 } })).to.throw(
      ScheduleError,
      /schedule 'cosine-decay': unknown option\(s\) 'initialLearningrate' \(did you mean 'initialLearningRate'\?\)/,
    );
  });
});

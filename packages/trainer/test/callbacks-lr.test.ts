import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { currentLearningRate, LearningRateScheduler, OptimizerOptionsError, ReduceLROnPlateau, Trainer, TrainerInputError, TrainingOptimizer, type ReduceLROnPlateauOptions } from '@losskit/trainer';
import { seedModel, silent, uniform } from './trainer-helpers.js';

// Made by scripts/fixtures/keras_callbacks.py: Keras 3's ReduceLROnPlateau fed fixed values.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras-plateau.json', import.meta.url), 'utf8')) as {
  initialLearningRate: number;
  cases: { options: ReduceLROnPlateauOptions; values: number[]; learningRates: number[] }[];
};

describe('trainer: ReduceLROnPlateau and LearningRateScheduler (Keras 3 semantics)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of fixture.cases) {
    for (const kind of ['tf.train.sgd', 'TrainingOptimizer'] as const) {
      it(`${JSON.stringify(c.options)} on ${kind}: the rate after each of ${c.values.length} epochs equals Keras's`, () => {
        const optimizer = kind === 'tf.train.sgd' ? tf.train.sgd(fixture.initialLearningRate) : new TrainingOptimizer({ optimizer: 'sgd', learningRate: fixture.initialLearningRate });
        const plateau = new ReduceLROnPlateau(optimizer, c.options);
        plateau.onTrainBegin();
        c.values.forEach((value, epoch) => {
          plateau.onEpochEnd(epoch, { [c.options.monitor!]: value });
          expect(currentLearningRate(optimizer), `epoch ${epoch}`).to.be.closeTo(c.learningRates[epoch]!, 1e-6 * c.learningRates[epoch]!);
        });
        optimizer.dispose();
      });
    }
  }

  it('a state taken mid-run and restored in a new callback makes the same decisions (resume)', () => {
    const c = fixture.cases[2]!;
    const whole = tf.train.sgd(fixture.initialLearningRate);
    const straight = new ReduceLROnPlateau(whole, c.options);
    straight.onTrainBegin();
    const resumedOptimizer = tf.train.sgd(fixture.initialLearningRate);
    let resumed: ReduceLROnPlateau | undefined;
    c.values.forEach((value, epoch) => {
      straight.onEpochEnd(epoch, { val_loss: value });
      if (epoch === 12) {
        resumed = new ReduceLROnPlateau(resumedOptimizer, c.options);
        resumed.setState(JSON.parse(JSON.stringify(straight.getState())));
        resumedOptimizer.setLearningRate(currentLearningRate(whole));
        resumed.onTrainBegin(); // a resumed fit starts: the restored state is kept
      } else if (resumed) {
        resumed.onEpochEnd(epoch, { val_loss: value });
        expect(currentLearningRate(resumedOptimizer), `epoch ${epoch}`).to.equal(currentLearningRate(whole));
      }
    });
    expect(() => resumed!.setState({ best: 'x' } as never)).to.throw(TrainerInputError, /setState/);
  });

  it('through checkpoints: a resumed run reduces the rate at the same epochs as one that never stopped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'losskit-plateau-resume-'));
    const x = uniform([32, 8], 7);
    const y = uniform([32, 2], 8);
    // Patience 1 and a large minDelta: reductions in both halves, and counters mid-way at the cut.
    const options = { monitor: 'loss', patience: 1, factor: 0.5, minDelta: 0.02, cooldown: 1 };
    const run = async (epochs: number, initial: Trainer | undefined, resume: boolean) => {
      const trainer = initial ?? new Trainer({ model: seedModel(5, 8, 6, 2, 'linear'), optimizer: new TrainingOptimizer({ optimizer: 'sgd', learningRate: 0.2 }), loss: 'mean-squared-error', ...silent });
      const rates: number[] = [];
      const plateau = new ReduceLROnPlateau(trainer.optimizer, options);
      const record = { onEpochEnd: () => void rates.push(currentLearningRate(trainer.optimizer)) };
      await trainer.fit(x, y, { epochs, batchSize: 8, shuffle: false, callbacks: [plateau, record], checkpoint: { dir: path.join(dir, resume ? 'split' : String(epochs)) }, resume });
      return { trainer, rates };
    };
    try {
      const straight = await run(8, undefined, false);
      const first = await run(4, undefined, true);
      const resumed = await Trainer.resume(path.join(dir, 'split'), silent);
      const second = await run(8, resumed, true);
      expect([...first.rates, ...second.rates]).to.deep.equal(straight.rates);
      expect(new Set(straight.rates).size).to.be.above(2);
      expect(second.trainer.model.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(straight.trainer.model.getWeights().map((w) => Array.from(w.dataSync())));
      for (const { trainer } of [straight, first, second]) {
        trainer.dispose();
        trainer.model.dispose();
        trainer.optimizer.dispose();
      }
    } finally {
      tf.dispose([x, y]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a schedule-driven optimizer, bad options and an unlogged monitor, naming them', () => {
    const scheduled = new TrainingOptimizer({ optimizer: 'sgd', learningRate: { name: 'exponential-decay', options: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 } } });
    const plateau = new ReduceLROnPlateau(scheduled, { monitor: 'loss', patience: 0 });
    plateau.onTrainBegin();
    plateau.onEpochEnd(0, { loss: 1 });
    expect(() => plateau.onEpochEnd(1, { loss: 2 })).to.throw(OptimizerOptionsError, /cannot be set/);
    expect(() => plateau.onEpochEnd(2, { acc: 2 })).to.throw(TrainerInputError, /monitor 'loss' is not logged; logged keys are acc/);
    expect(() => new ReduceLROnPlateau(tf.train.sgd(0.1), { factor: 1 })).to.throw(TrainerInputError, /factor must be below 1/);
    expect(() => new ReduceLROnPlateau(tf.train.sgd(0.1), { min_lr: 0 } as never)).to.throw(TrainerInputError, /unknown option 'min_lr' \(did you mean 'minLr'\?\)/);
    // A name 'auto' cannot place is judged against the logs: not logged first, then its direction.
    const widgets = new ReduceLROnPlateau(tf.train.sgd(0.1), { monitor: 'val_widgets' });
    expect(() => widgets.onEpochEnd(0, { loss: 1 })).to.throw(TrainerInputError, /monitor 'val_widgets' is not logged/);
    expect(() => widgets.onEpochEnd(0, { val_widgets: 1 })).to.throw(TrainerInputError, /pass mode: 'max' or mode: 'min'/);
    scheduled.dispose();
  });

  it('LearningRateScheduler sets schedule(epoch, lr) at each epoch of a fit, continuing from initialEpoch', async () => {
    const model = seedModel(3, 8, 6, 2, 'linear');
    const optimizer = new TrainingOptimizer({ optimizer: 'adam', learningRate: 0.01 });
    const trainer = new Trainer({ model, optimizer, loss: 'mean-squared-error', ...silent });
    const seen: number[] = [];
    const record = { onEpochEnd: () => void seen.push(currentLearningRate(optimizer)) };
    const schedule = new LearningRateScheduler(optimizer, (epoch, lr) => (epoch < 2 ? lr : lr * 0.5));
    const x = uniform([16, 8], 1);
    const y = uniform([16, 2], 2);
    await trainer.fit(x, y, { epochs: 4, batchSize: 8, callbacks: [schedule, record] });
    await trainer.fit(x, y, { epochs: 5, initialEpoch: 4, batchSize: 8, callbacks: [schedule, record] });
    expect(seen).to.deep.equal([0.01, 0.01, 0.005, 0.0025, 0.00125]);
    expect(() => new LearningRateScheduler(optimizer, (() => Number.NaN) as never).onEpochBegin(0)).to.throw(TrainerInputError, /returned NaN/);
    tf.dispose([x, y]);
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OptimizerOptionsError, Trainer, TrainingOptimizer, type ScheduleSpec, type TrainingOptimizerOptions } from '@losskit/trainer';
import { silent } from './trainer-helpers.js';

interface Trajectory {
  options: Record<string, number>;
  batchSize: number;
  epochs: number;
  learningRate: number;
  schedule: ScheduleSpec | null;
  weights: number[][][][];
}
// Made by scripts/fixtures/keras_training_features.py: Keras 3 (JAX), SGD, MSE, a 6-5-3 tanh MLP.
const fixture = (await import('./fixtures/keras-trajectories.json', { with: { type: 'json' } })).default as unknown as {
  x: number[][];
  y: number[][];
  initialWeights: (number[] | number[][])[];
  cases: Trajectory[];
};

function mlp(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [6] }));
  model.add(tf.layers.dense({ units: 3 }));
  model.setWeights(fixture.initialWeights.map((w) => tf.tensor(w)));
  return model;
}

function optimizerFor(c: Trajectory, inner: tf.Optimizer = tf.train.sgd(c.learningRate)): TrainingOptimizer {
  return new TrainingOptimizer({ optimizer: inner, ...(c.schedule ? { learningRate: c.schedule } : {}), ...c.options } as TrainingOptimizerOptions);
}

/** Plain loop: MSE (mean over everything, as Keras's for equal-sized batches), in order. */
function train(model: tf.LayersModel, optimizer: tf.Optimizer, batchSize: number, epochs: number, onStep?: () => void): void {
  const x = tf.tensor2d(fixture.x);
  const y = tf.tensor2d(fixture.y);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < fixture.x.length; start += batchSize) {
      tf.tidy(() => {
        const xb = tf.slice(x, [start, 0], [batchSize, -1]);
        const yb = tf.slice(y, [start, 0], [batchSize, -1]);
        optimizer.minimize(() => tf.mean(tf.square(tf.sub(model.predict(xb) as tf.Tensor, yb))) as tf.Scalar);
      });
      onStep?.();
    }
  }
  tf.dispose([x, y]);
}

function flat(weights: (number[] | number[][])[] | tf.Tensor[]): number[] {
  return weights.flatMap((w) => (w instanceof tf.Tensor ? Array.from(w.dataSync()) : (w as number[]).flat(2)));
}

function expectClose(got: number[], want: number[], what: string): void {
  const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i]!)));
  // float32 noise over a few dozen SGD steps of a small MLP (gradients reordered by the backends).
  expect(worst, what).to.be.below(2e-6);
}

describe('trainer: TrainingOptimizer trajectories equal Keras 3 (fixture)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of fixture.cases) {
    const label = `${JSON.stringify(c.options)}${c.schedule ? ` with ${c.schedule.name}` : ''}, batch ${c.batchSize}`;
    it(`SGD ${label}: weights after every step`, () => {
      const model = mlp();
      const optimizer = optimizerFor(c);
      let step = 0;
      train(model, optimizer, c.batchSize, c.epochs, () => {
        expectClose(flat(model.getWeights()), flat(c.weights[step]!), `step ${step}`);
        step++;
      });
      expect(step).to.equal(c.weights.length);
      optimizer.dispose();
      model.dispose();
    });
  }

  it('accumulating 3 batches of 8 equals one batch of 24 (mean loss), with Adam too', () => {
    const accumulated = fixture.cases.find((c) => c.options.gradientAccumulationSteps === 3)!;
    const big = fixture.cases.find((c) => c.batchSize === 24)!;
    // Keras's own two runs agree, and ours match them at every update.
    big.weights.forEach((w, i) => expectClose(flat(accumulated.weights[3 * i + 2]!), flat(w), `update ${i}`));
    const [a, b] = [mlp(), mlp()];
    const withAccumulation = new TrainingOptimizer({ optimizer: tf.train.adam(0.01), gradientAccumulationSteps: 3 });
    const plain = tf.train.adam(0.01);
    train(a, withAccumulation, 8, 2);
    train(b, plain, 24, 2);
    expectClose(flat(a.getWeights()), flat(b.getWeights()), 'adam');
    withAccumulation.dispose();
    plain.dispose();
    a.dispose();
    b.dispose();
  });

  it('state taken mid-group (getWeights/setWeights) continues the schedule and the accumulators exactly', async () => {
    const c = fixture.cases.find((x) => x.schedule?.name === 'exponential-decay')!;
    const [a, b] = [mlp(), mlp()];
    const first = optimizerFor(c);
    train(a, first, c.batchSize, 1); // 6 batches
    // Odd number of batches into a group of 2: one batch is waiting in the accumulators.
    const x = tf.tensor2d(fixture.x.slice(0, 8));
    const y = tf.tensor2d(fixture.y.slice(0, 8));
    first.minimize(() => tf.mean(tf.square(tf.sub(a.predict(x) as tf.Tensor, y))) as tf.Scalar);
    b.setWeights(a.getWeights());
    const second = optimizerFor(c);
    const saved = await first.getWeights();
    await second.setWeights(saved.map(({ name, tensor }) => ({ name, tensor: tensor.clone() })));
    expect(second.iterations).to.equal(7);
    expect(second.learningRate).to.equal(first.learningRate);
    for (const [model, opt] of [[a, first], [b, second]] as const) opt.minimize(() => tf.mean(tf.square(tf.sub(model.predict(x) as tf.Tensor, y))) as tf.Scalar);
    expect(flat(b.getWeights())).to.deep.equal(flat(a.getWeights()));
    tf.dispose([x, y]);
    first.dispose();
    second.dispose();
    a.dispose();
    b.dispose();
  });

  it('refuses Keras-invalid combinations and unknown options, and a settable rate under a schedule', () => {
    expect(() => new TrainingOptimizer({ optimizer: 'sgd', clipnorm: 1, globalClipnorm: 1 })).to.throw(OptimizerOptionsError, /only one of/);
    expect(() => new TrainingOptimizer({ optimizer: 'sgd', gradientAccumulationSteps: 1 })).to.throw(OptimizerOptionsError, /gradientAccumulationSteps/);
    expect(() => new TrainingOptimizer({ optimizer: 'sgd', clipNorm: 1 } as never)).to.throw(OptimizerOptionsError, /unknown option\(s\) clipNorm/);
    const scheduled = new TrainingOptimizer({ optimizer: 'sgd', learningRate: { name: 'cosine-decay', options: { initialLearningRate: 0.1, decaySteps: 10 } } });
    expect(() => {
      scheduled.learningRate = 0.5;
    }).to.throw(OptimizerOptionsError, /cannot be set/);
    const constant = new TrainingOptimizer({ optimizer: 'adam' });
    expect(constant.learningRate).to.equal(0.001);
    constant.learningRate = 0.5;
    expect(constant.learningRate).to.equal(0.5);
    scheduled.dispose();
    constant.dispose();
  });

  it('through Trainer.fit: a checkpointed run resumed in a new trainer continues the schedule exactly', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'losskit-schedule-resume-'));
    const x = tf.tensor2d(fixture.x);
    const y = tf.tensor2d(fixture.y);
    const make = () =>
      new Trainer({
        model: mlp(),
        optimizer: new TrainingOptimizer({
          optimizer: 'sgd',
          learningRate: { name: 'cosine-decay', options: { initialLearningRate: 0.05, decaySteps: 20, warmupTarget: 0.2, warmupSteps: 5 } },
          globalClipnorm: 0.5,
          gradientAccumulationSteps: 4,
        }),
        loss: 'mean-squared-error',
        ...silent,
      });
    try {
      const straight = make();
      await straight.fit(x, y, { epochs: 4, batchSize: 7, shuffle: false });
      const firstHalf = make();
      await firstHalf.fit(x, y, { epochs: 2, batchSize: 7, shuffle: false, checkpoint: { dir } });
      const resumed = await Trainer.resume(dir, silent);
      expect(resumed.optimizer).to.be.instanceOf(TrainingOptimizer);
      await resumed.fit(x, y, { epochs: 4, batchSize: 7, shuffle: false, checkpoint: { dir }, resume: true });
      expect(flat(resumed.model.getWeights())).to.deep.equal(flat(straight.model.getWeights()));
      expect((resumed.optimizer as TrainingOptimizer).iterations).to.equal((straight.optimizer as TrainingOptimizer).iterations);
      for (const t of [straight, firstHalf, resumed]) {
        t.dispose();
        t.model.dispose();
        t.optimizer.dispose();
      }
    } finally {
      tf.dispose([x, y]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getMetricRegistry } from '@losskit/core';
import { ReduceLROnPlateau, Trainer, TrainingOptimizer } from '@losskit/trainer';
import { seedModel, silent, uniform } from './trainer-helpers.js';

// Issue 11 inside the trainer: stateful metrics accumulated over the epoch, the learning rate in
// the history, and a resumed run that continues schedule, plateau counters and metrics exactly.
describe('trainer: stateful metrics, learning rate in the history, resume of all of it', () => {
  let x: tf.Tensor;
  let y: tf.Tensor;
  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([48, 8], 11);
    // Binary labels for precision/AUC, from a fixed rule so the model can learn something (made
    // in JS: a bool tensor cast on one backend and moved to another by the trainer reads back wrong).
    const rows = x.arraySync() as number[][];
    y = tf.tensor2d(rows.map((row) => [row.reduce((a, b) => a + b, 0) > 4 ? 1 : 0]));
  });
  after(() => tf.dispose([x, y]));

  const binaryModel = (seed: number) => seedModel(seed, 8, 6, 1, 'linear');
  const sigmoidModel = (seed: number) => {
    const model = binaryModel(seed);
    model.add(tf.layers.activation({ activation: 'sigmoid' }));
    return model;
  };

  it("evaluate's metrics are over all batches at once (AUC over the data, not a mean of batch AUCs)", async () => {
    const trainer = new Trainer({ model: sigmoidModel(1), optimizer: 'adam', loss: 'binary-crossentropy', metrics: ['precision', 'auc', { name: 'recall', options: { thresholds: 0.3 } }], ...silent });
    const logs = await trainer.evaluate(x, y, { batchSize: 7 });
    const preds = trainer.model.predict(x) as tf.Tensor;
    for (const [key, spec] of [['precision', 'precision'], ['auc', 'auc'], ['recall', { name: 'recall', options: { thresholds: 0.3 } }]] as const) {
      const whole = getMetricRegistry().resolve(spec);
      whole.update(y, preds);
      const value = whole.result();
      expect(logs[key], key).to.be.closeTo(value.dataSync()[0]!, 1e-6);
      value.dispose();
      whole.dispose();
    }
    // The mean of per-batch AUCs is another number: the metric really accumulates.
    const perBatch: number[] = [];
    for (let start = 0; start < 48; start += 7) {
      const auc = getMetricRegistry().resolve('auc');
      tf.tidy(() => auc.update(y.slice(start, Math.min(7, 48 - start)), preds.slice(start, Math.min(7, 48 - start))));
      perBatch.push(auc.result().dataSync()[0]!);
      auc.dispose();
    }
    expect(Math.abs(perBatch.reduce((a, b) => a + b, 0) / perBatch.length - logs.auc!)).to.be.above(1e-4);
    preds.dispose();
    trainer.dispose();
    trainer.model.dispose();
  });

  it('a TrainingOptimizer or a plateau callback puts learning_rate in the history, after each epoch', async () => {
    const optimizer = new TrainingOptimizer({ optimizer: 'sgd', learningRate: { name: 'exponential-decay', options: { initialLearningRate: 0.1, decaySteps: 6, decayRate: 0.5 } } });
    const trainer = new Trainer({ model: binaryModel(2), optimizer, loss: 'mean-squared-error', ...silent });
    const { history } = await trainer.fit(x, y, { epochs: 3, batchSize: 8 });
    // 6 steps per epoch: the rate of the next update after epoch e is 0.1 * 0.5^(e + 1).
    expect(history.learning_rate!.map((lr) => Number(lr.toPrecision(6)))).to.deep.equal([0.05, 0.025, 0.0125]);
    const plain = new Trainer({ model: binaryModel(2), optimizer: tf.train.sgd(0.1), loss: 'mean-squared-error', ...silent });
    const withPlateau = await plain.fit(x, y, { epochs: 3, batchSize: 8, callbacks: new ReduceLROnPlateau(plain.optimizer, { monitor: 'loss', patience: 0, factor: 0.5, minDelta: 10 }) });
    // Logged before the callbacks run, as Keras logs it: epoch 1 reduces after its log line.
    expect(withPlateau.history.learning_rate).to.deep.equal([0.1, 0.1, 0.05]);
    const none = await plain.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(none.history).to.not.have.property('learning_rate');
    for (const t of [trainer, plain]) {
      t.dispose();
      t.model.dispose();
      t.optimizer.dispose();
    }
  });

  it('checkpoint + resume: schedule, accumulation, plateau counters and stateful metrics continue exactly', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'losskit-features-resume-'));
    const make = (scheduled: boolean) =>
      new Trainer({
        model: sigmoidModel(3),
        optimizer: new TrainingOptimizer({
          optimizer: 'adam',
          learningRate: scheduled ? { name: 'cosine-decay', options: { initialLearningRate: 0, decaySteps: 30, warmupTarget: 0.05, warmupSteps: 5 } } : 0.05,
          globalClipnorm: 1,
          gradientAccumulationSteps: 4,
        }),
        loss: 'binary-crossentropy',
        metrics: ['accuracy', 'precision', 'auc'],
        ...silent,
      });
    const plateauFor = (t: Trainer) => new ReduceLROnPlateau(t.optimizer, { monitor: 'val_auc', patience: 1, factor: 0.5, minDelta: 0.01 });
    const fitOptions = (epochs: number, sub: string, t: Trainer, scheduled: boolean) => ({
      epochs,
      batchSize: 7, // 7 batches per epoch: accumulation groups of 4 straddle the epoch boundary
      validationData: [x, y] as const,
      seed: 5,
      checkpoint: { dir: path.join(dir, sub) },
      resume: true,
      ...(scheduled ? {} : { callbacks: plateauFor(t) }),
    });
    try {
      for (const scheduled of [true, false]) {
        const straight = make(scheduled);
        const whole = await straight.fit(x, y, fitOptions(6, `straight-${scheduled}`, straight, scheduled));
        const first = make(scheduled);
        const head = await first.fit(x, y, fitOptions(3, `split-${scheduled}`, first, scheduled));
        const resumed = await Trainer.resume(path.join(dir, `split-${scheduled}`), silent);
        const tail = await resumed.fit(x, y, fitOptions(6, `split-${scheduled}`, resumed, scheduled));
        for (const key of Object.keys(whole.history)) {
          expect([...head.history[key]!, ...tail.history[key]!], key).to.deep.equal(whole.history[key]);
        }
        expect(Object.keys(whole.history)).to.include.members(['accuracy', 'precision', 'auc', 'val_auc', 'learning_rate']);
        if (!scheduled) expect(new Set(whole.history.learning_rate).size, 'the plateau reduced the rate').to.be.above(1);
        for (const t of [straight, first, resumed]) {
          t.dispose();
          t.model.dispose();
          t.optimizer.dispose();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

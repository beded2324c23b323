import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { registerLossFunction, getLossRegistry } from '@losskit/core';
import { Trainer, TrainingOptimizer } from '@losskit/trainer';
import { createProgressCallback } from '@losskit/trainer/progress';
import { ASYNC_NAME, bnModel, expectSameAsAwaited, train, useAsyncReadBackend } from './lagged-guard-helpers.js';

// The windowed NaN guard trains to the same state as the awaited check: finite and NaN batches,
// stops, optimizers and schedules. How the set-up works: lagged-guard-helpers.ts; errors during
// a window: trainer-lagged-guard-errors.test.ts.
describe('Trainer: the NaN guard reading a window of batches (asynchronous-read backends)', function () {
  this.timeout(60_000);
  useAsyncReadBackend();

  it('trains exactly as the awaited check when every batch is finite (Adam, BatchNormalization, a metric)', async () => {
    const { lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), validationSplit: 0.25 });
    expect(lagged.state.history!.loss).to.have.length(3);
    // Validation rows are read together at the end on asynchronous backends: the same sums.
    expect(lagged.state.history!.val_mae).to.have.length(3);
    expect(lagged.state.iterations).to.equal(18); // 30 training rows: 6 batches an epoch
  });

  it("skip-batch: a NaN batch changes nothing (weights, moving statistics, Adam's slots, variable-backed metrics), and the batches after it run again", async () => {
    // 20 batches an epoch: full windows of 16 mid-epoch, a short one at the end. Rows land in
    // batches through the seeded shuffle; three NaN rows spoil some batches each epoch.
    let calls = 0;
    registerLossFunction({ name: 'counted-mse', description: 'mse that counts its calls' }, (yTrue, yPred) => {
      calls++;
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      // Callbacks that keep the windowed path: tf.Callback subclasses without batch hooks of
      // their own, and the per-epoch progress lines (which only count batches).
      const lines: string[] = [];
      const callbacks = () => [
        tf.callbacks.earlyStopping({ monitor: 'loss', patience: 10 }),
        createProgressCallback('lines', { totalEpochs: 3, batchesPerEpoch: 20, samplesPerEpoch: 40, stream: { write: (line: string) => void lines.push(line) } }),
      ];
      const run = { optimizer: () => tf.train.adam(0.01), nanRows: [3, 17, 18], batchSize: 2, loss: 'counted-mse', metrics: ['mae', 'cosine-similarity', 'precision'], beforeFit: () => (calls = 0) };
      const awaited = await train({ ...run, backend: 'cpu', callbacks: callbacks() });
      const awaitedCalls = calls;
      const awaitedLines = lines.splice(0).map((line) => line.replace(/ - [\d.,]+ samples\/s[^\n]*/, ''));
      const lagged = await train({ ...run, backend: ASYNC_NAME, callbacks: callbacks() });
      // More loss calls: the batches after each NaN in its window were computed, undone and run again.
      expect(calls, 'loss calls with these callbacks, windowed vs awaited').to.be.above(awaitedCalls);
      expect(lagged.state).to.deep.equal(awaited.state);
      // The same progress lines (less the timings), batch counts included.
      expect(lines.map((line) => line.replace(/ - [\d.,]+ samples\/s[^\n]*/, ''))).to.deep.equal(awaitedLines);
      await expectSameAsAwaited(run);
      expect(calls, 'loss calls without callbacks, windowed vs awaited').to.be.above(awaitedCalls);
      expect(lagged.error).to.equal(undefined);
      expect(lagged.state.history!.loss!.every(Number.isFinite)).to.equal(true);
      expect(lagged.state.history!.precision).to.deep.equal(awaited.state.history!.precision);
      expect(lagged.state.iterations).to.be.below(60);
    } finally {
      getLossRegistry().unregister('counted-mse');
    }
  });

  it('a stop set in onEpochBegin: that epoch still trains one batch, as with the awaited check', async () => {
    let running: Trainer | undefined;
    const callbacks = [{ onEpochBegin: (epoch: number) => void (epoch === 1 && (running!.stopTraining = true)) }];
    const { lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), callbacks, beforeFit: (trainer) => (running = trainer) });
    expect(lagged.error).to.equal(undefined);
    expect(lagged.state.history!.loss).to.have.length(2);
    expect(lagged.state.iterations).to.equal(9);
  });

  it('an optimizer of its own (JavaScript state the guard cannot undo) keeps the awaited order, and its result', async () => {
    // A decaying SGD whose step count is a plain field: undoing a window could not rewind it.
    class DecayingSgd extends tf.SGDOptimizer {
      private t = 0;
      constructor() {
        super(0.05);
      }
      override applyGradients(grads: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
        this.setLearningRate(0.05 / (1 + this.t++));
        super.applyGradients(grads);
      }
    }
    await expectSameAsAwaited({ optimizer: () => new DecayingSgd(), nanRows: [3, 21], batchSize: 2 });
  });

  it('a layer unfrozen between epochs, then a NaN batch: its new Adam slots are made by an awaited step, so the NaN is skipped as before', async () => {
    const model = () => {
      const m = bnModel();
      m.layers[2]!.trainable = false;
      return m;
    };
    let running: Trainer | undefined;
    const callbacks = [{ onEpochEnd: (epoch: number) => void (epoch === 0 && (running!.model.layers[2]!.trainable = true)) }];
    // Under the seed-3 shuffle row 10 is in the first batch of epochs 1 and 2: the batch whose
    // update makes the unfrozen layer's Adam slots is the NaN one.
    const { lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), model, nanRows: [10], callbacks, beforeFit: (trainer) => (running = trainer) });
    expect(lagged.error).to.equal(undefined);
  });

  it('two fits at once, one with NaN batches: each ends exactly as it does alone', async () => {
    const clean = { optimizer: () => tf.train.adam(0.01) };
    const spoilt = { optimizer: () => tf.train.adam(0.01), nanRows: [3, 21] };
    const alone = [await train({ ...clean, backend: 'cpu' }), await train({ ...spoilt, backend: 'cpu' })];
    await tf.setBackend(ASYNC_NAME);
    const together = await Promise.all([train({ ...clean, backend: ASYNC_NAME }), train({ ...spoilt, backend: ASYNC_NAME })]);
    expect(together.map((r) => r.state)).to.deep.equal(alone.map((r) => r.state));
  });

  it('skip-batch with a schedule, clipping and gradient accumulation: the step counter is rewound with the variables', async () => {
    const optimizer = () =>
      new TrainingOptimizer({
        optimizer: 'adam',
        learningRate: { name: 'exponential-decay', options: { initialLearningRate: 0.02, decaySteps: 3, decayRate: 0.5 } },
        globalClipnorm: 1,
        gradientAccumulationSteps: 2,
      });
    await expectSameAsAwaited({ optimizer, nanRows: [0, 22] });
  });

  it('a stop requested during a batch: that batch still counts, the next one never runs (as with the awaited check)', async () => {
    let calls = 0;
    let running: Trainer | undefined;
    registerLossFunction({ name: 'stops-on-eleventh-call', description: 'asks the trainer to stop on its 11th call' }, (yTrue, yPred) => {
      if (++calls === 11) running!.stopTraining = true;
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      const beforeFit = (trainer: Trainer) => {
        calls = 0;
        running = trainer;
      };
      const { lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), loss: 'stops-on-eleventh-call', beforeFit });
      expect(lagged.state.iterations).to.equal(11);
    } finally {
      getLossRegistry().unregister('stops-on-eleventh-call');
    }
  });
});

import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { registerLossFunction, getLossRegistry } from '@losskit/core';
import { NonFiniteLossError, Trainer, TrainingOptimizer } from '@losskit/trainer';
import { createProgressCallback } from '@losskit/trainer/progress';
import { silent, uniform } from './trainer-helpers.js';

// The NaN guard that reads a window of batches at once (fit/lagged-steps.ts), which the trainer uses on backends with
// asynchronous reads (webgl, webgpu). Node has neither, so the tfjs cpu backend (TensorFlow's in
// the native run) is registered a second time under the name 'webgl': the same kernels, so the
// trainer takes its asynchronous path and every result can be compared bit for bit with the
// awaited check on 'cpu'. The real webgl and webgpu backends run the same path in Chromium
// (test/browser/chromium-trainer.test.ts).

const ASYNC_NAME = 'webgl';

/** Dense -> BatchNormalization -> Dense: moving statistics change in the forward pass. */
function bnModel(): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 500 + k });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 6, activation: 'relu', inputShape: [4], kernelInitializer: init(1) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 2, kernelInitializer: init(2) }));
  return model;
}

/** Every number the run leaves behind: model weights (moving statistics too), optimizer state, history. */
async function stateOf(model: tf.LayersModel, optimizer: tf.Optimizer, history?: Record<string, number[]>) {
  const weights = await Promise.all(model.getWeights().map((w) => w.data()));
  const slots = await optimizer.getWeights();
  const optimizerState = await Promise.all(slots.map(async ({ name, tensor }) => [name.replace(/^.*\//, ''), Array.from(await tensor.data())]));
  // getWeights makes new tensors for its counters; the slots are the optimizer's own variables.
  tf.dispose(slots.map(({ tensor }) => tensor).filter((tensor) => !(tensor instanceof tf.Variable)));
  // Adam's bias-correction powers live outside getWeights; a TrainingOptimizer forwards them.
  const powers = await Promise.all(['accBeta1', 'accBeta2'].map(async (name) => {
    const tensor = (optimizer as unknown as Record<string, tf.Tensor | undefined>)[name];
    return tensor ? Array.from(await tensor.data()) : undefined;
  }));
  return { weights: weights.map((w) => Array.from(w)), optimizerState, powers, config: optimizer.getConfig(), iterations: optimizer.iterations, history };
}

interface Run {
  backend: 'cpu' | typeof ASYNC_NAME;
  optimizer: () => tf.Optimizer;
  nanRows?: number[];
  nanPolicy?: 'throw' | 'skip-batch';
  loss?: string;
  beforeFit?: (trainer: Trainer) => void;
  validationSplit?: number;
  /** Rows whose first target is 1e6 (finite: a loss can single their batch out). */
  markedRows?: number[];
  batchSize?: number;
  metrics?: string[];
  callbacks?: object[];
  /** Trains from a tf.data generator of batches instead of tensors (it may throw). */
  dataset?: (x: tf.Tensor, y: tf.Tensor) => tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  model?: () => tf.LayersModel;
}

async function train(run: Run) {
  const { backend, optimizer: makeOptimizer, nanRows = [], nanPolicy = 'skip-batch', loss = 'mse', beforeFit, validationSplit = 0 } = run;
  const { batchSize = 5, metrics = ['mae'], callbacks = [], dataset, model: makeModel = bnModel, markedRows = [] } = run;
  await tf.setBackend(backend);
  const x = uniform([40, 4], 71);
  const clean = uniform([40, 2], 72);
  const mask = tf.tensor2d(Array.from({ length: 40 }, (_, i) => (nanRows.includes(i) ? [NaN, 1] : markedRows.includes(i) ? [1e6, 1] : [1, 1])));
  const y = tf.mul(clean, mask);
  const model = makeModel();
  const optimizer = makeOptimizer();
  // 'auto' keeps the 'webgl' the application activated; the reference is forced to cpu.
  const trainer = new Trainer({ model, optimizer, loss, metrics, backend: backend === 'cpu' ? 'cpu' : 'auto', ...silent });
  let error: unknown;
  let history: Record<string, number[]> | undefined;
  beforeFit?.(trainer);
  try {
    const options = { epochs: 3, seed: 3, nanPolicy, callbacks };
    history = (dataset ? await trainer.fit(dataset(x, y), options) : await trainer.fit(x, y, { ...options, batchSize, shuffle: true, validationSplit })).history;
  } catch (e) {
    error = e;
  }
  const state = await stateOf(model, optimizer, history);
  tf.dispose([x, clean, mask, y]);
  trainer.dispose();
  model.dispose();
  optimizer.dispose();
  return { state, error, backend: tf.getBackend() };
}

describe('Trainer: the NaN guard reading a window of batches (asynchronous-read backends)', function () {
  this.timeout(60_000);
  // What @tensorflow/tfjs registered for 'webgl' (its kernels, even in Node), put back afterwards.
  let original: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
  let originalKernels: tf.KernelConfig[] = [];

  // The reference backend: tfjs cpu, or TensorFlow's in the native run (where 'cpu' means it).
  const reference = process.env.LOSSKIT_TEST_BACKEND === 'tensorflow' ? 'tensorflow' : 'cpu';

  before(function () {
    // Typed as always present; it is null where nothing registered the name.
    original = (tf.findBackendFactory(ASYNC_NAME) as typeof original | null) ?? undefined;
    if (original) tf.removeBackend(ASYNC_NAME);
    originalKernels = tf.getKernelsForBackend(ASYNC_NAME);
    for (const kernel of originalKernels) tf.unregisterKernel(kernel.kernelName, ASYNC_NAME);
    tf.registerBackend(ASYNC_NAME, tf.findBackendFactory(reference)!);
    tf.copyRegisteredKernels(reference, ASYNC_NAME);
  });

  after(async function () {
    await tf.setBackend('cpu');
    tf.removeBackend(ASYNC_NAME);
    for (const kernel of tf.getKernelsForBackend(ASYNC_NAME)) tf.unregisterKernel(kernel.kernelName, ASYNC_NAME);
    for (const kernel of originalKernels) tf.registerKernel(kernel);
    if (original) tf.registerBackend(ASYNC_NAME, original);
  });

  async function expectSameAsAwaited(run: Omit<Run, 'backend'>) {
    const awaited = await train({ ...run, backend: 'cpu' });
    const tensors = tf.memory().numTensors;
    const lagged = await train({ ...run, backend: ASYNC_NAME });
    expect(lagged.backend).to.equal(ASYNC_NAME);
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(lagged.state).to.deep.equal(awaited.state);
    return { awaited, lagged };
  }

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

  it('a NaN batch and then a loss that throws in the same window: the undone batches run again before the error', async () => {
    // Fails on the batch holding the marked row (a target of 1e6), whichever attempt runs it.
    registerLossFunction({ name: 'throws-on-marked-row', description: 'fails on a batch with a target over 1e5' }, (yTrue, yPred) => {
      if (tf.tidy(() => tf.max(yTrue).dataSync()[0]!) > 1e5) throw new Error('marked row');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      // Under the seed-3 shuffle (fit/shuffle.ts), rows 1 and 37 fall in the first epoch's batches
      // 17 and 19 (of 20): the window after the first 16 holds 17 (NaN) and 18 when 19 fails.
      const run = { optimizer: () => tf.train.adam(0.01), nanRows: [1], markedRows: [37], batchSize: 2, loss: 'throws-on-marked-row' };
      const { awaited, lagged } = await expectSameAsAwaited(run);
      expect((awaited.error as Error).message).to.equal('marked row');
      expect((lagged.error as Error).message).to.equal('marked row');
      expect(lagged.state.iterations, 'updates before the failing batch, the NaN one skipped').to.be.above(1);
    } finally {
      getLossRegistry().unregister('throws-on-marked-row');
    }
  });

  it('a batch that fails only when it runs again after a NaN: its error ends the fit there, nothing after it runs first', async () => {
    // 20 batches of 2 rows; each row's second target is its batch number. Batch 1 is NaN, so the
    // first window (batches 1-16) is undone from 1 and 2-16 run again; batch 6 fails on that run.
    const computed: number[] = [];
    const runs = new Map<number, number>();
    registerLossFunction({ name: 'fails-on-second-run-of-6', description: 'fails the second time it sees batch 6' }, (yTrue, yPred) => {
      const tag = tf.tidy(() => tf.max(yTrue.slice([0, 1], [-1, 1])).dataSync()[0]!);
      computed.push(tag);
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      if (tag === 6 && runs.get(tag) === 2) throw new Error('batch 6 failed on its second run');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      await tf.setBackend(ASYNC_NAME);
      const tensors = tf.memory().numTensors;
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
      const optimizer = tf.train.adam(0.01);
      const trainer = new Trainer({ model, optimizer, loss: 'fails-on-second-run-of-6', backend: 'auto', ...silent });
      const dataset = tf.data.generator(function* () {
        for (let b = 0; b < 20; b++) yield { xs: tf.randomUniform([2, 3], 0, 1, 'float32', b), ys: tf.tensor2d([[b === 1 ? NaN : 0.5, b], [0.5, b]]) };
      });
      const error = await trainer.fit(dataset, { epochs: 1, nanPolicy: 'skip-batch' }).then(() => undefined, (e: unknown) => e);
      expect((error as Error | undefined)?.message).to.equal('batch 6 failed on its second run');
      expect(computed, 'batches computed, in order').to.deep.equal([...Array.from({ length: 17 }, (_, b) => b), 2, 3, 4, 5, 6]);
      trainer.dispose();
      model.dispose();
      optimizer.dispose();
      expect(tf.memory().numTensors).to.equal(tensors);
    } finally {
      getLossRegistry().unregister('fails-on-second-run-of-6');
    }
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

  it('a dataset that fails on its 7th batch: the batches before it count, a NaN among them is skipped, then its error', async () => {
    const dataset = (x: tf.Tensor, y: tf.Tensor) =>
      tf.data.generator(function* () {
        for (let i = 0; i < 8; i++) {
          if (i === 6) throw new Error('bad record in batch 7');
          yield { xs: x.slice(i * 5, 5), ys: y.slice(i * 5, 5) };
        }
      });
    const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), nanRows: [12], dataset });
    expect((awaited.error as Error).message).to.match(/bad record in batch 7/);
    expect((lagged.error as Error).message).to.equal((awaited.error as Error).message);
    expect(lagged.state.iterations).to.equal(5);
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

  it('throw: the error names the same batch and the weights stop at the last finite one', async () => {
    const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.sgd(0.1), nanRows: [25], nanPolicy: 'throw' });
    expect(lagged.error).to.be.instanceOf(NonFiniteLossError);
    expect((lagged.error as NonFiniteLossError).message).to.equal((awaited.error as Error).message);
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

  it('a loss that throws on a later batch: the batch before it still counts, nothing leaks', async () => {
    let calls = 0;
    registerLossFunction({ name: 'throws-on-ninth-call', description: 'fails on its ninth call' }, (yTrue, yPred) => {
      if (++calls === 9) throw new Error('ninth call');
      return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
    });
    try {
      const { awaited, lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), loss: 'throws-on-ninth-call', beforeFit: () => (calls = 0) });
      expect((awaited.error as Error).message).to.match(/ninth call/);
      expect((lagged.error as Error).message).to.match(/ninth call/);
    } finally {
      getLossRegistry().unregister('throws-on-ninth-call');
    }
  });
});

import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { registerLossFunction, getLossRegistry } from '@losskit/core';
import { NonFiniteLossError, Trainer, TrainingOptimizer } from '@losskit/trainer';
import { silent, uniform } from './trainer-helpers.js';

// The NaN guard one read behind (fit/lagged-steps.ts), which the trainer uses on backends with
// asynchronous reads (webgl, webgpu). Node has neither, so the tfjs cpu backend is registered a
// second time under the name 'webgl': the same kernels, so the trainer takes its asynchronous
// path and every result can be compared bit for bit with the awaited check on 'cpu'. The real
// webgl backend runs the same path in Chromium (test/browser/chromium-trainer.test.ts).

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
  return { weights: weights.map((w) => Array.from(w)), optimizerState, iterations: optimizer.iterations, history };
}

interface Run {
  backend: 'cpu' | typeof ASYNC_NAME;
  optimizer: () => tf.Optimizer;
  nanRows?: number[];
  nanPolicy?: 'throw' | 'skip-batch';
  loss?: string;
  beforeFit?: (trainer: Trainer) => void;
  validationSplit?: number;
}

async function train({ backend, optimizer: makeOptimizer, nanRows = [], nanPolicy = 'skip-batch', loss = 'mse', beforeFit, validationSplit = 0 }: Run) {
  await tf.setBackend(backend);
  const x = uniform([40, 4], 71);
  const clean = uniform([40, 2], 72);
  const mask = tf.tensor2d(Array.from({ length: 40 }, (_, i) => (nanRows.includes(i) ? [NaN, 1] : [1, 1])));
  const y = tf.mul(clean, mask);
  const model = bnModel();
  const optimizer = makeOptimizer();
  // 'auto' keeps the 'webgl' the application activated; the reference is forced to cpu.
  const trainer = new Trainer({ model, optimizer, loss, metrics: ['mae'], backend: backend === 'cpu' ? 'cpu' : 'auto', ...silent });
  let error: unknown;
  let history: Record<string, number[]> | undefined;
  beforeFit?.(trainer);
  try {
    history = (await trainer.fit(x, y, { epochs: 3, batchSize: 5, shuffle: true, seed: 3, nanPolicy, validationSplit })).history;
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

describe('Trainer: the NaN guard one read behind (asynchronous-read backends)', function () {
  this.timeout(60_000);
  // What @tensorflow/tfjs registered for 'webgl' (its kernels, even in Node), put back afterwards.
  let original: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
  let originalKernels: tf.KernelConfig[] = [];

  before(function () {
    if (process.env.LOSSKIT_TEST_BACKEND === 'tensorflow') this.skip(); // compares with the tfjs cpu kernels by design
    // Typed as always present; it is null where nothing registered the name.
    original = (tf.findBackendFactory(ASYNC_NAME) as typeof original | null) ?? undefined;
    if (original) tf.removeBackend(ASYNC_NAME);
    originalKernels = tf.getKernelsForBackend(ASYNC_NAME);
    for (const kernel of originalKernels) tf.unregisterKernel(kernel.kernelName, ASYNC_NAME);
    tf.registerBackend(ASYNC_NAME, tf.findBackendFactory('cpu')!);
    tf.copyRegisteredKernels('cpu', ASYNC_NAME);
  });

  after(async function () {
    if (process.env.LOSSKIT_TEST_BACKEND === 'tensorflow') return;
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

  it("skip-batch: a NaN batch changes nothing (weights, moving statistics, Adam's slots, metrics), and the batch after it is run again", async () => {
    // Rows land in batches through the seeded shuffle; three NaN rows spoil some batches each epoch.
    const { lagged } = await expectSameAsAwaited({ optimizer: () => tf.train.adam(0.01), nanRows: [3, 17, 18] });
    expect(lagged.error).to.equal(undefined);
    expect(lagged.state.history!.loss!.every(Number.isFinite)).to.equal(true);
    expect(lagged.state.iterations).to.be.below(24);
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

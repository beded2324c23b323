import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer } from '@losskit/trainer';
import { silent, uniform } from './trainer-helpers.js';

// Set-up shared by trainer-lagged-guard*.test.ts. They test the NaN guard that reads a window
// of batches at once (fit/lagged-steps.ts), which the trainer uses on backends with asynchronous
// reads (webgl, webgpu). Node has neither, so the tfjs cpu backend (TensorFlow's in the native
// run) is registered a second time under the name 'webgl': the same kernels, so the trainer takes
// its asynchronous path and every result can be compared bit for bit with the awaited check on
// 'cpu'. The real webgl and webgpu backends run the same path in Chromium
// (test/browser/chromium-trainer.test.ts).

export const ASYNC_NAME = 'webgl';

/** Dense -> BatchNormalization -> Dense: moving statistics change in the forward pass. */
export function bnModel(): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 500 + k });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 6, activation: 'relu', inputShape: [4], kernelInitializer: init(1) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 2, kernelInitializer: init(2) }));
  return model;
}

/** Every number the run leaves behind: model weights (moving statistics too), optimizer state, history. */
export async function stateOf(model: tf.LayersModel, optimizer: tf.Optimizer, history?: Record<string, number[]>) {
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

export interface Run {
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

export async function train(run: Run) {
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

/**
 * Mocha hooks for the enclosing describe: registers the reference backend's factory and kernels
 * a second time under ASYNC_NAME before its tests, and puts back afterwards what @tensorflow/tfjs
 * had registered for that name (its kernels, even in Node).
 */
export function useAsyncReadBackend(): void {
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
}

/** Trains `run` on cpu (awaited check) and on ASYNC_NAME (windowed guard): no leak, the same state to the bit. */
export async function expectSameAsAwaited(run: Omit<Run, 'backend'>) {
  const awaited = await train({ ...run, backend: 'cpu' });
  const tensors = tf.memory().numTensors;
  const lagged = await train({ ...run, backend: ASYNC_NAME });
  expect(lagged.backend).to.equal(ASYNC_NAME);
  expect(tf.memory().numTensors).to.equal(tensors);
  expect(lagged.state).to.deep.equal(awaited.state);
  return { awaited, lagged };
}

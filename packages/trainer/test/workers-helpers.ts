// Set-up shared by trainer-workers.test.ts and trainer-workers-errors.test.ts: the models, the
// rows they train on, one fit with a given worker count, and the comparison with one thread.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Trainer, type FitOptions, type History, type LossOption, type MetricsOption } from '@losskit/trainer';
import { silent, uniform } from './trainer-helpers.js';

const LOSSES = fileURLToPath(new URL('./fixtures/worker-losses.mjs', import.meta.url));
await import(LOSSES);
// What the workers import to know the losses the parent registered by importing these modules.
export const WORKER_IMPORTS = ['@losskit/loss-mse', LOSSES];

export function denseModel(): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 40 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [6], kernelInitializer: init(1) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

/** Two outputs from a shared trunk: 'a' (3 values) and 'b' (2 values). */
export function twoOutputModel(): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 50 + k });
  const input = tf.input({ shape: [6] });
  // A regularizer: its penalty belongs to the batch, added once (by the trainer's thread).
  const trunk = tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(1), kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 3, name: 'a', kernelInitializer: init(2) }).apply(trunk) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, name: 'b', kernelInitializer: init(3) }).apply(trunk) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [a, b] });
}

export interface Case {
  build(): tf.LayersModel;
  loss: LossOption;
  lossWeights?: number[];
  metrics?: MetricsOption;
  optimizer(): tf.Optimizer;
  x: () => tf.Tensor;
  y: () => tf.Tensor | tf.Tensor[];
  fit: FitOptions;
}

export async function run(c: Case, workers: number | 'auto', extra: FitOptions = {}): Promise<{ history: History; weights: number[][] }> {
  const model = c.build();
  const trainer = new Trainer({ model, optimizer: c.optimizer(), loss: c.loss, ...(c.lossWeights ? { lossWeights: c.lossWeights } : {}), ...(c.metrics ? { metrics: c.metrics } : {}), backend: 'cpu', ...silent });
  const history = await trainer.fit(c.x(), c.y(), { ...c.fit, workers, workerImports: WORKER_IMPORTS, verbose: 0, ...extra });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  trainer.dispose();
  model.dispose();
  return { history, weights };
}

export function expectClose(actual: History, expected: History): void {
  expect(Object.keys(actual.history).sort()).to.deep.equal(Object.keys(expected.history).sort());
  for (const [key, values] of Object.entries(expected.history)) {
    values.forEach((v, i) => {
      const got = actual.history[key]![i]!;
      expect(Math.abs(got - v) / Math.max(Math.abs(v), 1e-3), `${key}[${i}]: ${got} vs ${v}`).to.be.at.most(1e-5);
    });
  }
}

/** The rows the workers tests train on (seeded: the same in every file). */
export interface WorkerData { x: tf.Tensor; labels: tf.Tensor; target: tf.Tensor; targetB: tf.Tensor; sampleWeight: tf.Tensor }

/**
 * Mocha hooks for the enclosing describe: the cpu backend and fresh WorkerData (handed to
 * `receive`) before its tests, the data disposed after them.
 */
export function useWorkerData(receive: (data: WorkerData) => void): void {
  let data: WorkerData | undefined;
  before(async () => {
    await tf.setBackend('cpu');
    data = {
      x: uniform([90, 6], 61),
      labels: tf.oneHot(tf.tensor1d(Array.from({ length: 90 }, (_, i) => (i * 7) % 3), 'int32'), 3).toFloat(),
      target: uniform([90, 3], 62),
      targetB: uniform([90, 2], 63),
      sampleWeight: tf.randomUniform([90], 0.2, 2, 'float32', 64),
    };
    receive(data);
  });
  after(() => tf.dispose(data ? Object.values(data) : []));
}

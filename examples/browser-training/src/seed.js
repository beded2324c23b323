// The seed model and data, shared by the page (src/page.js) and the worker (src/worker.js), so
// both train exactly the same run: seeded initial weights and seeded random data.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@losskit/wasm-training'; // the wasm backend's training kernels
import '@losskit/loss-mse'; // importing the plugin registers 'mse' (no discovery in a browser)
import { getLossRegistry } from '@losskit/core';

export const SEED = 42;

/** Dense 64 relu -> Dense 10 softmax, with seeded initial weights so every run on a backend starts the same. */
export function buildModel() {
  const init = (offset) => tf.initializers.glorotUniform({ seed: SEED + offset });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [32], kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
  return model;
}

/** `samples` seeded inputs (32 features) and targets (10 values). */
export function seedData(samples) {
  return { x: tf.randomUniform([samples, 32], 0, 1, 'float32', SEED + 3), y: tf.randomUniform([samples, 10], 0, 1, 'float32', SEED + 4) };
}

/**
 * Activates `backend`; tfjs-backend-wasm fetches its .wasm binaries from `wasmPath` at run time.
 * The webgpu backend is imported only when asked for (a chunk of its own), as a page would.
 */
export async function useBackend(backend, wasmPath) {
  if (wasmPath) setWasmPaths(wasmPath);
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' is not available here`);
  await tf.ready();
}

/**
 * Everything one seeded training run starts from, on `backend`: the model, data, the loss
 * 'mse' resolved by name (for the second read), adam at 0.01, and the tensor count before.
 */
export async function seedRun({ backend, wasmPath, samples }) {
  await useBackend(backend, wasmPath);
  const tensorsBefore = tf.memory().numTensors;
  const { x, y } = seedData(samples);
  const loss = await getLossRegistry().resolve('mse');
  return { tensorsBefore, model: buildModel(), x, y, loss, optimizer: tf.train.adam(0.01) };
}

/**
 * fit callbacks that record each batch's logged loss (`batchLosses`) and a second, independent
 * read of it (`secondRead`): before each batch, the loss of that batch at the current weights
 * (what fit is about to log), computed outside fit with `loss` and read asynchronously.
 * Batches are taken in order (fit with shuffle: false).
 */
export function batchLossRecorder(loss, model, x, y, batchSize) {
  const batchLosses = [];
  const secondRead = [];
  const samples = x.shape[0];
  const onBatchBegin = async (batch) => {
    const value = tf.tidy(() => {
      const start = batch * batchSize;
      const size = Math.min(batchSize, samples - start);
      return loss.compute(y.slice(start, size), model.predict(x.slice(start, size)));
    });
    secondRead.push((await value.data())[0]);
    value.dispose();
  };
  return { batchLosses, secondRead, callbacks: { onBatchBegin, onBatchEnd: (_batch, logs) => batchLosses.push(logs.loss) } };
}

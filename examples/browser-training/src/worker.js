// A dedicated Web Worker that trains the seed model with the loss 'mse' resolved by name and
// posts each epoch's loss back; the page's main thread stays free. Bundle it as its own entry:
//   esbuild src/page.js src/worker.js --bundle --platform=browser --format=esm --splitting --outdir=out
// and start it from the page with new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse'; // importing the plugin registers 'mse' (no discovery in a browser)
import { getLossRegistry } from '@losskit/core';
import { buildModel, seedData, useBackend } from './seed.js';

self.onmessage = async ({ data: { backend, wasmPath, samples = 512, batchSize = 32, epochs = 5 } }) => {
  try {
    await useBackend(backend, wasmPath);
    const model = buildModel();
    const { x, y } = seedData(samples);
    const loss = await getLossRegistry().resolve('mse');
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: loss.asTfjsLoss() });
    const history = await model.fit(x, y, {
      epochs,
      batchSize,
      shuffle: false,
      callbacks: { onEpochEnd: (epoch, logs) => self.postMessage({ type: 'epoch', epoch, loss: logs.loss }) },
    });
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
    self.postMessage({ type: 'done', backend: tf.getBackend(), loss: history.history.loss, tensorsLeft: tf.memory().numTensors });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error?.stack ?? error) });
  }
};

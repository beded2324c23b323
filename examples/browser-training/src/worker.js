// A dedicated Web Worker that trains the seed model with the losskit Trainer, the loss 'mse'
// given by name, and posts each epoch's loss back; the page's main thread stays free. Bundle it as its own entry:
//   esbuild src/page.js src/worker.js --bundle --platform=browser --format=esm --splitting --outdir=out
// and start it from the page with new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse'; // importing the plugin registers 'mse' (no discovery in a browser)
import { Trainer } from '@losskit/trainer';
import { buildModel, seedData, useBackend } from './seed.js';

self.onmessage = async ({ data: { backend, wasmPath, samples = 512, batchSize = 32, epochs = 5 } }) => {
  try {
    await useBackend(backend, wasmPath);
    const model = buildModel();
    const { x, y } = seedData(samples);
    const optimizer = tf.train.adam(0.01);
    const trainer = new Trainer({ model, optimizer, loss: 'mse', backend, verbose: 0 });
    const { history } = await trainer.fit(x, y, {
      epochs,
      batchSize,
      shuffle: false,
      // Nothing else runs in this worker: no need to hand its event loop turns while training.
      yieldEvery: 'never',
      callbacks: { onEpochEnd: (epoch, logs) => self.postMessage({ type: 'epoch', epoch, loss: logs.loss }) },
    });
    trainer.dispose();
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
    self.postMessage({ type: 'done', backend: tf.getBackend(), loss: history.loss, tensorsLeft: tf.memory().numTensors });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error?.stack ?? error) });
  }
};

// The seed model (Dense 64 relu -> Dense 10 softmax, adam) trained in a browser page with the
// loss resolved by name. Bundle it for the browser (see this example's README):
//   esbuild src/page.js --bundle --platform=browser --format=esm --splitting --outdir=out
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@losskit/wasm-training'; // the wasm backend's training kernels
import '@losskit/loss-mse'; // in a browser, importing a plugin is what registers its losses
import { getLossRegistry } from '@losskit/core';
import { renderLossChart } from '@losskit/trainer/chart';

const SEED = 42;

/** The seed model, with seeded initial weights so every run on a backend starts the same. */
function buildModel() {
  const init = (offset) => tf.initializers.glorotUniform({ seed: SEED + offset });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [32], kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
  return model;
}

/**
 * Trains the seed model on `backend` and returns what was logged, plus a second, independent
 * read of every batch loss: before each batch, the loss of that batch at the current weights
 * (what `fit` is about to log), computed outside `fit` and read asynchronously.
 */
export async function trainSeedModel({ backend, wasmPath, samples = 512, batchSize = 32, epochs = 5 }) {
  // tfjs-backend-wasm fetches its .wasm binaries at run time; the page serves them.
  if (wasmPath) setWasmPaths(wasmPath);
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' is not available in this browser`);
  await tf.ready();
  const tensorsBefore = tf.memory().numTensors;

  const model = buildModel();
  const x = tf.randomUniform([samples, 32], 0, 1, 'float32', SEED + 3);
  const y = tf.randomUniform([samples, 10], 0, 1, 'float32', SEED + 4);
  const loss = await getLossRegistry().resolve('mse');
  const optimizer = tf.train.adam(0.01);
  model.compile({ optimizer, loss: loss.asTfjsLoss() });

  const batchLosses = [];
  const secondRead = [];
  let timerTicks = 0;
  let fitMs = 0;
  const timer = setInterval(() => timerTicks++, 10);
  const started = performance.now();
  try {
    await model.fit(x, y, {
      epochs,
      batchSize,
      shuffle: false,
      // Yield to the page after every batch, so timers and input run while it trains.
      yieldEvery: 'batch',
      callbacks: {
        onBatchBegin: async (batch) => {
          const value = tf.tidy(() => {
            const start = batch * batchSize;
            const size = Math.min(batchSize, samples - start);
            return loss.compute(y.slice(start, size), model.predict(x.slice(start, size)));
          });
          secondRead.push((await value.data())[0]);
          value.dispose();
        },
        onBatchEnd: async (_batch, logs) => {
          batchLosses.push(logs.loss);
        },
      },
    });
  } finally {
    fitMs = performance.now() - started;
    clearInterval(timer);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  return { backend: tf.getBackend(), fitMs, batchLosses, secondRead, timerTicks, tensorsLeft: tf.memory().numTensors - tensorsBefore };
}

/**
 * Draws a loss chart into the page with '@losskit/trainer/chart' (the same Vega-Lite chart as
 * Node's plotHistory; vega-embed is fetched on this first call), and says what it drew.
 */
export async function drawLossChart(title, history) {
  const figure = document.createElement('figure');
  document.body.append(figure);
  const { view } = await renderLossChart(figure, history, { title, width: 320, height: 140 });
  const svg = figure.querySelector('svg');
  return {
    lines: svg.querySelectorAll('.mark-line.role-mark path').length,
    points: svg.querySelectorAll('.mark-symbol.role-mark path').length,
    data: view.data('source_0').map(({ epoch, value, series }) => ({ epoch, value, series })),
  };
}

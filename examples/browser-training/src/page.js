// The seed model (Dense 64 relu -> Dense 10 softmax, adam) trained in a browser page with the
// loss resolved by name, on the main thread or in a Web Worker (src/worker.js). Bundle both
// entries for the browser (see this example's README):
//   esbuild src/page.js src/worker.js --bundle --platform=browser --format=esm --splitting --outdir=out
import * as tf from '@tensorflow/tfjs';
import { renderLossChart } from '@losskit/trainer/chart';
import { batchLossRecorder, seedRun } from './seed.js';

/**
 * Watches the main thread while something runs: a 10 ms timer's ticks, and every task longer
 * than 50 ms the browser reports ('longtask'). `stop()` returns what was seen.
 */
export function watchResponsiveness() {
  let timerTicks = 0;
  const longTasks = [];
  const timer = setInterval(() => timerTicks++, 10);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(Math.round(entry.duration));
  });
  observer.observe({ type: 'longtask' });
  return {
    stop() {
      // Tasks that ended just now may still be queued for the observer.
      for (const entry of observer.takeRecords()) longTasks.push(Math.round(entry.duration));
      observer.disconnect();
      clearInterval(timer);
      return { timerTicks, longTasks };
    },
  };
}

/**
 * Trains the seed model on `backend` with model.fit and returns what was logged, plus a second,
 * independent read of every batch loss (see batchLossRecorder in seed.js).
 */
export async function trainSeedModel({ backend, wasmPath, samples = 512, batchSize = 32, epochs = 5 }) {
  const { tensorsBefore, model, x, y, loss, optimizer } = await seedRun({ backend, wasmPath, samples });
  model.compile({ optimizer, loss: loss.asTfjsLoss() });

  const recorder = batchLossRecorder(loss, model, x, y, batchSize);
  let fitMs = 0;
  let responsiveness;
  const watch = watchResponsiveness();
  const started = performance.now();
  try {
    await model.fit(x, y, {
      epochs,
      batchSize,
      shuffle: false,
      // Yield to the page after every batch, so timers and input run while it trains.
      yieldEvery: 'batch',
      callbacks: recorder.callbacks,
    });
  } finally {
    fitMs = performance.now() - started;
    responsiveness = watch.stop();
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  return { backend: tf.getBackend(), fitMs, batchLosses: recorder.batchLosses, secondRead: recorder.secondRead, ...responsiveness, tensorsLeft: tf.memory().numTensors - tensorsBefore };
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

/**
 * Trains the seed model in a dedicated Web Worker (src/worker.js) while the main thread keeps
 * running; resolves with the worker's per-epoch losses and what the main thread saw meanwhile.
 */
export function trainInWorker(options) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const watch = watchResponsiveness();
  const epochLosses = [];
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'epoch') {
        epochLosses.push(data.loss);
        return;
      }
      worker.terminate();
      const mainThread = watch.stop();
      if (data.type === 'done') resolve({ ...data, epochLosses, mainThread });
      else reject(new Error(`the training worker failed: ${data.message}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      watch.stop();
      reject(new Error(`the training worker did not start: ${event.message}`));
    };
    worker.postMessage(options);
  });
}

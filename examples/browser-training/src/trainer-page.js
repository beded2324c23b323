// The seed model trained in a page by the losskit Trainer, the loss 'mse' given by name, and
// the same run side by side with plain model.fit (bench/browser-training.bench.mjs times both).
// Bundle it as another entry:
//   esbuild src/trainer-page.js --bundle --platform=browser --format=esm --splitting --outdir=out
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse'; // importing the plugin registers 'mse' (no discovery in a browser)
import { getLossRegistry } from '@losskit/core';
import { Trainer } from '@losskit/trainer';
import { buildModel, seedData, useBackend } from './seed.js';
import { drawLossChart, watchResponsiveness } from './page.js';

export { drawLossChart };

/**
 * Trains the seed model on `backend` with `Trainer.fit` and returns the history, every logged
 * batch loss, and a second, independent read of each: before each batch, the loss of that
 * batch at the current weights (what fit is about to log), computed outside fit and read
 * asynchronously. `yieldEvery` is the trainer's time budget between event-loop turns: 10 ms
 * keeps every main-thread task well under the 50 ms a browser counts as long, even on a
 * loaded machine.
 */
export async function fitSeedModel({ backend, wasmPath, samples = 512, batchSize = 32, epochs = 5, yieldEvery = 10 }) {
  await useBackend(backend, wasmPath);
  const tensorsBefore = tf.memory().numTensors;
  const model = buildModel();
  const { x, y } = seedData(samples);
  const mse = await getLossRegistry().resolve('mse');
  const optimizer = tf.train.adam(0.01);
  const trainer = new Trainer({ model, optimizer, loss: 'mse', backend, verbose: 0 });
  await trainer.ready();

  const batchLosses = [];
  const secondRead = [];
  const secondReadOf = async (batch) => {
    const value = tf.tidy(() => {
      const start = batch * batchSize;
      const size = Math.min(batchSize, samples - start);
      return mse.compute(y.slice(start, size), model.predict(x.slice(start, size)));
    });
    secondRead.push((await value.data())[0]);
    value.dispose();
  };
  let history;
  let fitMs;
  let responsiveness;
  const watch = watchResponsiveness();
  const started = performance.now();
  try {
    history = await trainer.fit(x, y, {
      epochs,
      batchSize,
      shuffle: false,
      yieldEvery,
      callbacks: { onBatchBegin: (batch) => secondReadOf(batch), onBatchEnd: (_batch, logs) => batchLosses.push(logs.loss) },
    });
  } finally {
    fitMs = performance.now() - started;
    responsiveness = watch.stop();
    tf.dispose([x, y]);
    trainer.dispose(); // its resolved loss; the model and optimizer are ours
    model.dispose();
    optimizer.dispose();
  }
  return {
    backend: tf.getBackend(),
    trainerBackend: trainer.backend.backend,
    fitMs,
    history: history.history,
    batchLosses,
    secondRead,
    ...responsiveness,
    tensorsLeft: tf.memory().numTensors - tensorsBefore,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `Trainer.fit` ('mse' by name) and `model.fit` (the same loss as a closure) on the same model,
 * data and initial weights, `reps` pairs back to back (plus one warm-up pair), alternating
 * which goes first. Each's default yieldEvery unless `yieldEvery` is given for the Trainer;
 * verbose 0. Returns the median per-pair
 * throughput ratio Trainer / model.fit (model.fit ms / Trainer ms) and the median times.
 */
export async function timeFits({ backend, wasmPath, reps = 9, samples = 1024, batchSize = 32, epochs = 2, yieldEvery }) {
  await useBackend(backend, wasmPath);
  const { x, y } = seedData(samples);
  const trainerModel = buildModel();
  const fitModel = buildModel();
  const initial = trainerModel.getWeights().map((w) => w.clone());
  const options = { epochs, batchSize, shuffle: true, verbose: 0 };
  const closure = (yTrue, yPred) => tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
  // Each contender gets a fresh optimizer from the same initial weights, outside the timing.
  const contenders = [
    async (optimizer) => {
      trainerModel.setWeights(initial);
      const trainer = new Trainer({ model: trainerModel, optimizer, loss: 'mse', backend, verbose: 0 });
      await trainer.ready();
      return { run: () => trainer.fit(x, y, yieldEvery === undefined ? options : { ...options, yieldEvery }), dispose: () => trainer.dispose() };
    },
    async (optimizer) => {
      fitModel.setWeights(initial);
      fitModel.compile({ optimizer, loss: closure });
      return { run: () => fitModel.fit(x, y, options), dispose: () => {} };
    },
  ];
  const times = [[], []];
  for (let rep = 0; rep <= reps; rep++) {
    for (const i of rep % 2 === 0 ? [0, 1] : [1, 0]) {
      const optimizer = tf.train.adam(0.001);
      const { run, dispose } = await contenders[i](optimizer);
      const start = performance.now();
      await run();
      if (rep > 0) times[i].push(performance.now() - start);
      dispose();
      optimizer.dispose();
    }
  }
  tf.dispose([x, y, ...initial]);
  trainerModel.dispose();
  fitModel.dispose();
  return {
    backend: tf.getBackend(),
    ratio: median(times[0].map((trainerMs, rep) => times[1][rep] / trainerMs)),
    trainerMs: median(times[0]),
    modelFitMs: median(times[1]),
    samples,
    batchSize,
    epochs,
    reps,
  };
}

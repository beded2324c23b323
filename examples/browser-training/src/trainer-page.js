// The seed model trained in a page by the losskit Trainer, the loss 'mse' given by name, and
// the same run side by side with plain model.fit (bench/browser-training.bench.mjs times both).
// Bundle it as another entry:
//   esbuild src/trainer-page.js --bundle --platform=browser --format=esm --splitting --outdir=out
import * as tf from '@tensorflow/tfjs';
import { Trainer } from '@losskit/trainer';
import { batchLossRecorder, buildModel, seedData, seedRun, useBackend } from './seed.js';
import { drawLossChart, watchResponsiveness } from './page.js';

export { drawLossChart };

/**
 * Trains the seed model on `backend` with `Trainer.fit` and returns the history, every logged
 * batch loss, and a second, independent read of each (see batchLossRecorder in seed.js).
 * `yieldEvery` is the trainer's time budget between event-loop turns: 10 ms keeps every
 * main-thread task well under the 50 ms a browser counts as long. With `secondRead: false`
 * it trains with no callback (nothing but the trainer's own work in the page's tasks).
 */
export async function fitSeedModel({ backend, wasmPath, samples = 512, batchSize = 32, epochs = 5, yieldEvery = 10, secondRead = true }) {
  const { tensorsBefore, model, x, y, loss: mse, optimizer } = await seedRun({ backend, wasmPath, samples });
  const trainer = new Trainer({ model, optimizer, loss: 'mse', backend, verbose: 0 });
  await trainer.ready();

  // secondRead: false trains with no callback at all, as a page that only wants the history.
  const recorder = secondRead ? batchLossRecorder(mse, model, x, y, batchSize) : { batchLosses: [], secondRead: [], callbacks: [] };
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
      callbacks: recorder.callbacks,
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
    batchLosses: recorder.batchLosses,
    secondRead: recorder.secondRead,
    ...responsiveness,
    tensorsLeft: tf.memory().numTensors - tensorsBefore,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `Trainer.fit` ('mse' by name) and `model.fit` (the same loss as a closure) on the same model,
 * data and initial weights, `reps` rounds (plus one warm-up round), each round running every
 * contender back to back, alternating the order. Each's default yieldEvery and verbose 0;
 * a third contender, the Trainer with yieldEvery 'never', shows what the page's event-loop
 * turns cost. Returns the median per-round throughput ratios to model.fit (model.fit ms /
 * Trainer ms) and the median times.
 */
export async function timeFits({ backend, wasmPath, reps = 9, samples = 2048, batchSize = 32, epochs = 2 }) {
  await useBackend(backend, wasmPath);
  const { x, y } = seedData(samples);
  const models = [buildModel(), buildModel(), buildModel()];
  const initial = models[0].getWeights().map((w) => w.clone());
  const options = { epochs, batchSize, shuffle: true, verbose: 0 };
  const closure = (yTrue, yPred) => tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
  const trainerFit = (fitOptions) => async (model, optimizer) => {
    const trainer = new Trainer({ model, optimizer, loss: 'mse', backend, verbose: 0 });
    await trainer.ready();
    return { run: () => trainer.fit(x, y, fitOptions), dispose: () => trainer.dispose() };
  };
  const modelFit = async (model, optimizer) => {
    model.compile({ optimizer, loss: closure });
    return { run: () => model.fit(x, y, options), dispose: () => {} };
  };
  // Each gets a fresh optimizer and the same initial weights, outside the timing.
  const contenders = [trainerFit(options), modelFit, trainerFit({ ...options, yieldEvery: 'never' })];
  const times = contenders.map(() => []);
  for (let rep = 0; rep <= reps; rep++) {
    const order = rep % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      models[i].setWeights(initial);
      const optimizer = tf.train.adam(0.001);
      const { run, dispose } = await contenders[i](models[i], optimizer);
      const start = performance.now();
      await run();
      if (rep > 0) times[i].push(performance.now() - start);
      dispose();
      optimizer.dispose();
    }
  }
  tf.dispose([x, y, ...initial]);
  models.forEach((model) => model.dispose());
  const ratioTo = (i) => median(times[i].map((ms, rep) => times[1][rep] / ms));
  return {
    backend: tf.getBackend(),
    ratio: ratioTo(0),
    ratioYieldNever: ratioTo(2),
    trainerMs: median(times[0]),
    modelFitMs: median(times[1]),
    trainerYieldNeverMs: median(times[2]),
    samples,
    batchSize,
    epochs,
    reps,
  };
}

/** Largest absolute difference between two tensors' values. */
async function largestDifference(a, b) {
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const value = (await difference.data())[0];
  difference.dispose();
  return value;
}

/**
 * Trains the seed model for two epochs, saves the trainer to IndexedDB (`indexeddb://name`),
 * loads it back with `Trainer.load` (the loss re-resolved by name from the saved manifest) and
 * compares: predictions, evaluated loss, and one more epoch trained by both (which also needs
 * the optimizer's state to have come back). Removes the saved model at the end.
 */
export async function saveAndLoadIndexedDB({ backend, wasmPath, name = 'losskit-seed-model' }) {
  await useBackend(backend, wasmPath);
  const tensorsBefore = tf.memory().numTensors;
  const url = `indexeddb://${name}`;
  const { x, y } = seedData(256);
  const trainer = new Trainer({ model: buildModel(), optimizer: 'adam', loss: 'mse', backend, verbose: 0 });
  const options = { batchSize: 32, shuffle: false, verbose: 0 };
  await trainer.fit(x, y, { ...options, epochs: 2 });
  await trainer.save(url);
  const stored = Object.keys(await tf.io.listModels());
  const loaded = await Trainer.load(url, { verbose: 0, backend });
  const epochsCompleted = loaded.epochsCompleted;
  let result;
  try {
    const [before, after] = [trainer.model.predict(x), loaded.model.predict(x)];
    const predictionDifference = await largestDifference(before, after);
    tf.dispose([before, after]);
    const evaluated = [(await trainer.evaluate(x, y, { batchSize: 32 })).loss, (await loaded.evaluate(x, y, { batchSize: 32 })).loss];
    const nextEpoch = [(await trainer.fit(x, y, { ...options, epochs: 1 })).history.loss[0], (await loaded.fit(x, y, { ...options, epochs: 1 })).history.loss[0]];
    result = { stored, lossSpecs: [trainer.lossSpecs, loaded.lossSpecs], epochsCompleted, predictionDifference, evaluated, nextEpoch };
  } finally {
    await tf.io.removeModel(url);
    for (const t of [trainer, loaded]) {
      t.dispose();
      t.model.dispose();
      t.optimizer.dispose();
    }
    tf.dispose([x, y]);
  }
  return { ...result, storedAfterRemoval: Object.keys(await tf.io.listModels()), tensorsLeft: tf.memory().numTensors - tensorsBefore };
}

/**
 * The NaN guard on `backend` with nanPolicy 'skip-batch': the seed data with one NaN target in
 * batch 5, against the same run on the data without that batch. On webgl the guard reads a
 * window of batches and undoes the bad one after the fact, so this is the page-side check that
 * it leaves exactly what skipping it beforehand leaves. Returns both histories and the largest
 * weight difference.
 */
export async function skipNaNBatch({ backend, wasmPath, batchSize = 32, epochs = 2 }) {
  await useBackend(backend, wasmPath);
  const tensorsBefore = tf.memory().numTensors;
  const { x, y } = seedData(512);
  const badBatch = 5;
  const values = y.arraySync();
  values[badBatch * batchSize + 7][0] = NaN;
  const yBad = tf.tensor2d(values);
  const kept = tf.tensor1d(Array.from({ length: 512 }, (_, i) => i).filter((i) => Math.floor(i / batchSize) !== badBatch), 'int32');
  const run = async (xs, ys) => {
    const trainer = new Trainer({ model: buildModel(), optimizer: tf.train.adam(0.01), loss: 'mse', backend, verbose: 0 });
    const { history } = await trainer.fit(xs, ys, { epochs, batchSize, shuffle: false, nanPolicy: 'skip-batch' });
    // Read asynchronously: webgpu has no synchronous read.
    const weights = await Promise.all(trainer.model.getWeights().map((w) => w.data()));
    trainer.dispose();
    trainer.model.dispose();
    trainer.optimizer.dispose();
    return { history: history.loss, weights };
  };
  const [xKept, yKept] = [tf.gather(x, kept), tf.gather(y, kept)];
  const skipped = await run(x, yBad);
  const reference = await run(xKept, yKept);
  const largest = Math.max(...skipped.weights.flatMap((w, i) => Array.from(w, (v, j) => Math.abs(v - reference.weights[i][j]))));
  tf.dispose([x, y, yBad, kept, xKept, yKept]);
  return { backend: tf.getBackend(), skipped: skipped.history, reference: reference.history, largestWeightDifference: largest, tensorsLeft: tf.memory().numTensors - tensorsBefore };
}

// Trainer overhead, side by side in one process on one backend:
//  (a) Trainer.fit with 'mse' resolved by name vs model.fit with an equivalent hand-written
//      closure (seed model at batch 32; MLP 784-512-512-10 at batch 128);
//  (b) Trainer.fit with sample weights on a two-output model vs the equivalent hand-written
//      loop (optimizer.minimize by hand, loss accumulated on device, read once per epoch).
// Same initial weights for every run, interleaved repetitions (alternating which goes first),
// first repetition of each excluded as warm-up. The ratio is the median of the per-repetition
// ratios (each pair ran back to back, so slow drifts of this shared machine cancel out); the
// median times are reported beside it. Losses are resolved and models
// compiled before timing: the figures are the per-fit cost.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TRAINER = new URL('../packages/trainer/', import.meta.url);
const requireFromTrainer = createRequire(new URL('package.json', TRAINER));
const load = (name) => import(pathToFileURL(requireFromTrainer.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
await import(new URL('../packages/loss-mse/dist/index.js', import.meta.url).href);
const { Trainer, selectBackend } = await import(new URL('dist/index.js', TRAINER).href);

const TARGET = 1.05;
const backend = (await selectBackend(process.env.LOSSKIT_BACKEND ?? 'auto', { logger: () => {} })).backend;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mseClosure = (yTrue, yPred) => tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);

function dense(sizes, seed, activations) {
  const model = tf.sequential();
  sizes.slice(1).forEach((units, i) =>
    model.add(tf.layers.dense({ units, activation: activations[i], kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), ...(i === 0 ? { inputShape: [sizes[0]] } : {}) })),
  );
  return model;
}

function twoOutputModel(seed) {
  const input = tf.input({ shape: [32] });
  const trunk = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input);
  const a = tf.layers.dense({ units: 10, activation: 'softmax', name: 'head_a', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(trunk);
  const b = tf.layers.dense({ units: 1, name: 'head_b', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(trunk);
  return tf.model({ inputs: input, outputs: [a, b] });
}

/** Runs `contenders` interleaved `reps` times (plus one warm-up), each from `initial` weights. */
async function sideBySide(reps, contenders) {
  const times = contenders.map(() => []);
  for (let rep = 0; rep <= reps; rep++) {
    const order = rep % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
    for (const i of order) {
      const run = await contenders[i].prepare();
      const start = performance.now();
      await run();
      const ms = performance.now() - start;
      if (rep > 0) times[i].push(ms);
    }
  }
  return { medians: times.map(median), pairedRatio: median(times[0].map((ms, rep) => ms / times[1][rep])) };
}

function report(caseName, names, { medians: [trainerMs, baselineMs], pairedRatio: ratio }, extra) {
  console.log(JSON.stringify({
    bench: 'trainer-overhead', case: caseName, backend,
    ratio: Number(ratio.toFixed(3)), target: TARGET, pass: ratio <= TARGET,
    ratio_of_medians: Number((trainerMs / baselineMs).toFixed(3)),
    [`${names[0]}_ms`]: Number(trainerMs.toFixed(1)), [`${names[1]}_ms`]: Number(baselineMs.toFixed(1)), ...extra,
  }));
}

/** (a) Trainer.fit('mse' by name) vs model.fit(closure). */
async function versusModelFit(caseName, sizes, activations, samples, batchSize, epochs, reps) {
  const x = tf.randomUniform([samples, sizes[0]], 0, 1, 'float32', 1);
  const y = tf.randomUniform([samples, sizes.at(-1)], 0, 1, 'float32', 2);
  const trainerModel = dense(sizes, 10, activations);
  const fitModel = dense(sizes, 10, activations);
  const initial = trainerModel.getWeights().map((w) => w.clone());
  const options = { epochs, batchSize, shuffle: true };
  const times = await sideBySide(reps, [
    {
      prepare: async () => {
        trainerModel.setWeights(initial);
        const trainer = new Trainer({ model: trainerModel, optimizer: tf.train.adam(0.001), loss: 'mse', backend, verbose: false });
        await trainer.ready();
        return () => trainer.fit(x, y, options);
      },
    },
    {
      prepare: async () => {
        fitModel.setWeights(initial);
        fitModel.compile({ optimizer: tf.train.adam(0.001), loss: mseClosure });
        return () => fitModel.fit(x, y, { ...options, verbose: 0 });
      },
    },
  ]);
  report(caseName, ['trainer', 'model_fit'], times, { samples, batch: batchSize, epochs, reps });
  tf.dispose([x, y, ...initial]);
}

/** (b) Trainer with sample weights on two outputs vs the same step written by hand. */
async function versusHandLoop(reps) {
  const samples = 1024, batchSize = 32, epochs = 2;
  const x = tf.randomUniform([samples, 32], 0, 1, 'float32', 3);
  const ya = tf.randomUniform([samples, 10], 0, 1, 'float32', 4);
  const yb = tf.randomUniform([samples, 1], 0, 1, 'float32', 5);
  const sw = tf.randomUniform([samples], 0, 2, 'float32', 6);
  const trainerModel = twoOutputModel(20);
  const handModel = twoOutputModel(20);
  const initial = trainerModel.getWeights().map((w) => w.clone());
  const weightsA = 1, weightsB = 0.5;
  const times = await sideBySide(reps, [
    {
      prepare: async () => {
        trainerModel.setWeights(initial);
        const trainer = new Trainer({ model: trainerModel, optimizer: tf.train.adam(0.001), loss: ['mse', 'mse'], lossWeights: [weightsA, weightsB], backend, verbose: false });
        await trainer.ready();
        return () => trainer.fit(x, [ya, yb], { epochs, batchSize, shuffle: false, sampleWeight: sw, yieldEvery: process.env.YE ?? 'auto' });
      },
    },
    {
      prepare: async () => {
        handModel.setWeights(initial);
        const optimizer = tf.train.adam(0.001);
        const variables = handModel.trainableWeights.map((w) => w.read());
        const weighted = (t, p, w) => tf.div(tf.sum(tf.mul(mseClosure(t, p), w)), t.shape[0]);
        return async () => {
          const losses = [];
          for (let e = 0; e < epochs; e++) {
            let total = tf.scalar(0);
            for (let start = 0; start < samples; start += batchSize) {
              const size = Math.min(batchSize, samples - start);
              const next = tf.tidy(() => {
                const [xb, yab, ybb, wb] = [x, ya, yb, sw].map((t) => t.slice(start, size));
                const cost = optimizer.minimize(() => {
                  const [pa, pb] = handModel.apply(xb, { training: true });
                  return tf.add(tf.mul(weighted(yab, pa, wb), weightsA), tf.mul(weighted(ybb, pb, wb), weightsB));
                }, true, variables);
                return tf.add(total, tf.mul(cost, size));
              });
              total.dispose();
              total = next;
            }
            losses.push((await total.data())[0] / samples);
            total.dispose();
          }
          return losses;
        };
      },
    },
  ]);
  report('weighted-two-output', ['trainer', 'hand_loop'], times, { samples, batch: batchSize, epochs, reps });
  tf.dispose([x, ya, yb, sw, ...initial]);
}



await versusHandLoop(61);

// Cost of issue 11's training features, side by side in one process on one backend: Trainer.fit
// on the MLP 784-512-512-10 at batch 128 with a learning-rate schedule (cosine decay with
// warmup), global-norm clipping and three stateful metrics (accuracy, precision, AUC with 200
// thresholds), vs the same fit with a plain Adam and no metrics. Same initial weights for every
// run, interleaved repetitions (alternating which goes first), first repetition excluded as
// warm-up; the ratio is the median of the per-repetition ratios, with the median step times.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TRAINER = new URL('../packages/trainer/', import.meta.url);
const requireFromTrainer = createRequire(new URL('package.json', TRAINER));
const load = (name) => import(pathToFileURL(requireFromTrainer.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
const { Trainer, TrainingOptimizer, selectBackend } = await import(new URL('dist/index.js', TRAINER).href);

const TARGET = 1.1;
const METRICS = (process.env.BENCH_METRICS ?? 'accuracy,precision,auc').split(',').filter(Boolean);
const backend = (await selectBackend(process.env.LOSSKIT_BACKEND ?? 'auto', { logger: () => {} })).backend;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function mlp(seed) {
  const model = tf.sequential();
  [512, 512, 10].forEach((units, i) =>
    model.add(tf.layers.dense({ units, activation: i === 2 ? 'softmax' : 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), ...(i === 0 ? { inputShape: [784] } : {}) })),
  );
  return model;
}

const samples = 1024, batchSize = 128, reps = Number(process.env.BENCH_REPS ?? 15);
const steps = samples / batchSize;
const x = tf.randomUniform([samples, 784], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([samples], 0, 10, 'int32', 2), 10).toFloat();
const featuredModel = mlp(10);
const plainModel = mlp(10);
const initial = featuredModel.getWeights().map((w) => w.clone());
const options = { epochs: 1, batchSize, shuffle: true, seed: 1, verbose: 0 };

const contenders = [
  async () => {
    featuredModel.setWeights(initial);
    const optimizer = new TrainingOptimizer({
      optimizer: tf.train.adam(0.001),
      learningRate: { name: 'cosine-decay', options: { initialLearningRate: 0, decaySteps: 1000, warmupTarget: 0.001, warmupSteps: 10 } },
      globalClipnorm: 1,
    });
    const trainer = new Trainer({ model: featuredModel, optimizer, loss: 'categorical-crossentropy', metrics: METRICS, backend, verbose: false });
    await trainer.ready();
    return () => trainer.fit(x, y, options);
  },
  async () => {
    plainModel.setWeights(initial);
    const trainer = new Trainer({ model: plainModel, optimizer: tf.train.adam(0.001), loss: 'categorical-crossentropy', backend, verbose: false });
    await trainer.ready();
    return () => trainer.fit(x, y, options);
  },
];

const times = contenders.map(() => []);
for (let rep = 0; rep <= reps; rep++) {
  const order = rep % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    const run = await contenders[i]();
    const start = performance.now();
    await run();
    if (rep > 0) times[i].push(performance.now() - start);
  }
}
const ratio = median(times[0].map((ms, rep) => ms / times[1][rep]));
const [featuredMs, plainMs] = times.map(median);
console.log(JSON.stringify({
  bench: 'training-features', case: 'mlp-784-512-512-10', backend,
  ratio: Number(ratio.toFixed(3)), target: TARGET, pass: ratio <= TARGET,
  ratio_of_medians: Number((featuredMs / plainMs).toFixed(3)),
  featured_step_ms: Number((featuredMs / steps).toFixed(2)), plain_step_ms: Number((plainMs / steps).toFixed(2)),
  features: ['cosine-decay schedule', 'globalClipnorm 1', ...METRICS.map((m) => `metric ${m}`)],
  samples, batch: batchSize, reps,
}));
tf.dispose([x, y, ...initial]);

// A/B of the new trainer vs the base commit's, same process, interleaved (temporary, not committed).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const TRAINER = new URL('../packages/trainer/', import.meta.url);
const requireFromTrainer = createRequire(new URL('package.json', TRAINER));
const tf = await import(pathToFileURL(requireFromTrainer.resolve('@tensorflow/tfjs')).href);
await import(new URL('../packages/loss-mse/dist/index.js', import.meta.url).href);
const { Trainer: New, selectBackend } = await import(new URL('dist/index.js', TRAINER).href);
const { Trainer: Old } = await import('/tmp/issue10-base/packages/trainer/dist/index.js');
const backend = (await selectBackend('auto', { logger: () => {} })).backend;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
function twoOutputModel(seed) {
  const input = tf.input({ shape: [32] });
  const trunk = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input);
  const a = tf.layers.dense({ units: 10, activation: 'softmax', name: 'head_a', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(trunk);
  const b = tf.layers.dense({ units: 1, name: 'head_b', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(trunk);
  return tf.model({ inputs: input, outputs: [a, b] });
}
const samples = 1024, batchSize = 32, epochs = 2;
const x = tf.randomUniform([samples, 32], 0, 1, 'float32', 3);
const ya = tf.randomUniform([samples, 10], 0, 1, 'float32', 4);
const yb = tf.randomUniform([samples, 1], 0, 1, 'float32', 5);
const sw = tf.randomUniform([samples], 0, 2, 'float32', 6);
const mA = twoOutputModel(20), mB = twoOutputModel(20);
const initial = mA.getWeights().map((w) => w.clone());
const ye = process.env.YE;
const mk = (T, m, extra) => async () => { m.setWeights(initial); const t = new T({ model: m, optimizer: tf.train.adam(0.001), loss: ['mse', 'mse'], lossWeights: [1, 0.5], backend, verbose: false }); await t.ready(); return () => t.fit(x, [ya, yb], { epochs, batchSize, shuffle: false, sampleWeight: sw, ...extra }); };
const contenders = [mk(New, mA, ye ? { yieldEvery: ye } : {}), mk(Old, mB, {})];
const times = [[], []];
for (let rep = 0; rep <= 31; rep++) {
  const order = rep % 2 ? [1, 0] : [0, 1];
  for (const i of order) { const run = await contenders[i](); const s = performance.now(); await run(); if (rep) times[i].push(performance.now() - s); }
}
console.log(JSON.stringify({ ye, ratio_new_over_old: median(times[0].map((t, i) => t / times[1][i])).toFixed(3), new_ms: median(times[0]).toFixed(1), old_ms: median(times[1]).toFixed(1) }));

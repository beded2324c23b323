// Benchmarks @losskit/loss-combined: one training step of a small conv autoencoder with the
// `combined` plugin against the seed article's naive form of the same loss (both extractor
// calls inside the loss, under the gradient tape), on the same model, batch and frozen
// MobileNetV2. Repetitions are interleaved and medians compared; peak tensor bytes come from
// tf.profile. Prints one JSON line per figure set, with "pass" false where a target is missed.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// bench/ has no dependencies of its own: resolve packages the way @losskit/loss-combined does.
const requireFromPkg = createRequire(new URL('../packages/loss-combined/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromPkg.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
const { getLossRegistry } = await load('@losskit/core');
const combinedPkg = await load('@losskit/loss-combined');

const BATCH = 8;
const SIZE = 28;
const REPS = Number(process.env.BENCH_REPS ?? 5);
const ALPHA = 0.5;
const LAYERS = ['block_1_expand_relu', 'block_3_expand_relu'];

await tf.setBackend('cpu');
tf.env().set('IS_TEST', true); // silences the "install tfjs-node" banner

const resolved = await getLossRegistry().resolve({
  name: 'combined',
  options: { alpha: ALPHA, layers: LAYERS.map((name) => ({ name, weight: 1 })) },
});
// The same frozen MobileNetV2 weights the plugin uses, as the seed would use them: a layers
// model truncated at the feature layers, called on y_true and on y_pred inside the loss.
const { model: mobilenet } = await combinedPkg.loadMobileNetV2();
const perceptualModel = tf.model({ inputs: mobilenet.inputs, outputs: LAYERS.map((name) => mobilenet.getLayer(name).output) });

// The seed's form, transcribed: L1 plus feature MSE, both feature passes under the tape.
function naiveLoss(yTrue, yPred) {
  const prep = (x) => tf.tile(tf.image.resizeBilinear(x, [32, 32]), [1, 1, 1, 3]);
  const l1 = tf.mean(tf.abs(tf.sub(yTrue, yPred)));
  const trueFeatures = perceptualModel.apply(prep(yTrue), { training: false });
  const predFeatures = perceptualModel.apply(prep(yPred), { training: false });
  const perceptual = tf.addN(trueFeatures.map((f, i) => tf.mean(tf.square(tf.sub(f, predFeatures[i])))));
  return tf.add(tf.mul(l1, ALPHA), tf.mul(perceptual, 1 - ALPHA));
}
const pluginLoss = (yTrue, yPred) => resolved.compute(yTrue, yPred);

function autoencoder() {
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.upSampling2d({ size: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: init(3) }));
  return model;
}

const model = autoencoder();
const clean = tf.randomUniform([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 42);
const noisy = tf.clipByValue(tf.add(clean, tf.randomNormal([BATCH, SIZE, SIZE, 1], 0, 0.3, 'float32', 43)), 0, 1);
const vars = model.trainableWeights.map((w) => w.read());
// Learning rate 0: a full step (forward, loss, backward, update) that leaves the weights as they
// were, so every repetition of either form sees the same model.
const optimizer = tf.train.sgd(0);

function step(lossFn) {
  const cost = optimizer.minimize(() => lossFn(clean, model.apply(noisy, { training: true })), true, vars);
  const value = cost.dataSync()[0];
  cost.dispose();
  return value;
}

function timed(lossFn) {
  const start = process.hrtime.bigint();
  const value = step(lossFn);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm up both (kernel setup, truncated-model construction).
step(naiveLoss);
step(pluginLoss);

const times = { naive: [], plugin: [] };
let naiveValue = 0;
let pluginValue = 0;
for (let rep = 0; rep < REPS; rep++) {
  const order = rep % 2 === 0 ? ['naive', 'plugin'] : ['plugin', 'naive'];
  for (const form of order) {
    const { ms, value } = timed(form === 'naive' ? naiveLoss : pluginLoss);
    times[form].push(ms);
    if (form === 'naive') naiveValue = value;
    else pluginValue = value;
  }
}

const peak = async (lossFn) => (await tf.profile(() => { step(lossFn); })).peakBytes;
const naivePeak = await peak(naiveLoss);
const pluginPeak = await peak(pluginLoss);

const naiveMs = median(times.naive);
const pluginMs = median(times.plugin);
const ratio = naiveMs / pluginMs;
const lossDiff = Math.abs(naiveValue - pluginValue);
const base = { bench: 'loss-combined', backend: tf.getBackend(), batch: BATCH, image: `${SIZE}x${SIZE}x1`, extractor: 'mobilenet-v2', layers: LAYERS, reps: REPS };
console.log(JSON.stringify({ ...base, case: 'loss-value', naive: naiveValue, plugin: pluginValue, absDiff: lossDiff, target: 1e-5, pass: lossDiff <= 1e-5 }));
console.log(JSON.stringify({ ...base, case: 'step-time', naiveMedianMs: +naiveMs.toFixed(1), pluginMedianMs: +pluginMs.toFixed(1), ratio: +ratio.toFixed(3), target: 1.3, pass: ratio >= 1.3 }));
console.log(JSON.stringify({ ...base, case: 'peak-bytes', naivePeakBytes: naivePeak, pluginPeakBytes: pluginPeak, ratio: +(naivePeak / pluginPeak).toFixed(3), pass: pluginPeak < naivePeak }));

// The honest denoising comparison: the same conv autoencoder, the same initial weights per
// seed and the same number of steps on noisy MNIST, trained with L2, L1, ssim, ms-ssim-l1 and
// combined. Each loss gets the best of a 3-value learning-rate sweep, chosen by its own loss
// on a validation split (seed 1); then 3 seeds at that rate. PSNR and SSIM (plain JS, see
// image-metrics.mjs) on held-out test images, mean and spread over seeds. Writes
// docs/denoise-grid.png and docs/denoise-results.json and prints a markdown table.
//
//   pnpm demo:denoise     (env: DEMO_TRAIN, DEMO_EPOCHS, DEMO_BATCH, DEMO_SEEDS, DEMO_LOSSES, DEMO_LRS, DEMO_TAG,
//                         DEMO_ZERO_BIAS=1 for tfjs's zero output bias, with which L2 and L1 collapse)
//
// DEMO_TAG=name writes docs/denoise-{grid,results}-name.* instead (e.g. a longer L2/L1 run:
// DEMO_TAG=long DEMO_EPOCHS=4 DEMO_SEEDS=1 DEMO_LOSSES=L2,L1 DEMO_LRS=0.003).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-combined';
import '@losskit/loss-ssim';
import '@losskit/loss-mse'; // 'mean-squared-error' lives in @losskit/loss-mse
import { getLossRegistry } from '@losskit/core';
import { selectBackend, Trainer } from '@losskit/trainer';
import { psnr, ssim } from './image-metrics.mjs';
import { readMnistImages } from './mnist.mjs';
import { writeGrid } from './png-grid.mjs';

const TRAIN = Number(process.env.DEMO_TRAIN ?? 1280);
const VALIDATION = 300;
const TEST = 300;
const EPOCHS = Number(process.env.DEMO_EPOCHS ?? 1);
const BATCH = Number(process.env.DEMO_BATCH ?? 16);
const SEEDS = Number(process.env.DEMO_SEEDS ?? 3);
const LEARNING_RATES = process.env.DEMO_LRS ? process.env.DEMO_LRS.split(',').map(Number) : [3e-4, 1e-3, 3e-3];
const NOISE = 0.4;
const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const TAG = process.env.DEMO_TAG ? `-${process.env.DEMO_TAG.replace(/[^a-z0-9-]/gi, '')}` : '';
// Two scales is what 28x28 fits with the 11-tap window; the first two standard weights, renormalised.
const LOSSES = [
  { label: 'L2 (mse)', spec: 'mean-squared-error' },
  { label: 'L1 (mae)', spec: 'mae' },
  { label: 'ssim', spec: 'ssim' },
  { label: 'ms-ssim-l1 (2 scales)', spec: { name: 'ms-ssim-l1', options: { weights: [0.1356, 0.8644] } } },
  { label: 'combined (alpha 0.5)', spec: { name: 'combined', options: { alpha: 0.5 } } },
].filter((loss) => !process.env.DEMO_LOSSES || process.env.DEMO_LOSSES.split(',').some((part) => loss.label.startsWith(part)));

const noisyCopy = (clean, seed) =>
  tf.tidy(() => tf.clipByValue(tf.add(clean, tf.randomNormal(clean.shape, 0, NOISE, 'float32', seed)), 0, 1));

// The conv autoencoder of bench/ (conv 16, pool, conv 16, upsample, conv 1): small enough that
// 25 training runs fit a shared 2-core machine. The output bias starts at the logit of the mean
// training pixel: with tfjs's zero bias the sigmoid starts at 0.5, Adam drives the logits to
// about -15 within 20 steps (background is 81% of MNIST's pixels) and the saturated sigmoid
// then passes no gradient: L2 and L1 collapsed to black (diagnose-collapse.mjs shows it).
function autoencoder(seed, outputBias) {
  const model = tf.sequential();
  const he = (k) => tf.initializers.heNormal({ seed: seed * 10 + k });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: he(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: he(2) }));
  model.add(tf.layers.upSampling2d({ size: [2, 2] }));
  model.add(tf.layers.conv2d({
    filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid',
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 3 }),
    biasInitializer: tf.initializers.constant({ value: outputBias }),
  }));
  return model;
}

function imagesOf(tensor, count) {
  const data = tensor.dataSync();
  return Array.from({ length: count }, (_, i) => data.subarray(i * 784, (i + 1) * 784));
}

/** Mean PSNR and SSIM over images, and how many outputs are (nearly) all black. */
function metrics(outputs, clean) {
  let p = 0, s = 0, black = 0;
  outputs.forEach((image, i) => {
    p += psnr(image, clean[i]);
    s += ssim(image, clean[i], 28, 28);
    if (Math.max(...image) < 0.1) black++;
  });
  return { psnr: p / outputs.length, ssim: s / outputs.length, black: black / outputs.length };
}

async function train(loss, lr, seed, data) {
  const model = autoencoder(seed, data.outputBias);
  const trainer = new Trainer({ model, optimizer: tf.train.adam(lr), loss: loss.spec, verbose: false });
  const start = Date.now();
  await trainer.fit(data.noisyTrain, data.cleanTrain, { epochs: EPOCHS, batchSize: BATCH, seed, verbose: 0 });
  return { model, seconds: (Date.now() - start) / 1000 };
}

function predict(model, noisy) {
  return tf.tidy(() => model.predict(noisy, { batchSize: 100 }));
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0);

const backend = await selectBackend();
const trainSet = readMnistImages('train', TRAIN + VALIDATION);
const testSet = readMnistImages('test', TEST);
const all = tf.tensor4d(trainSet.pixels, [trainSet.count, 28, 28, 1]);
const data = {
  cleanTrain: all.slice([0, 0, 0, 0], [TRAIN, 28, 28, 1]),
  cleanValidation: all.slice([TRAIN, 0, 0, 0], [VALIDATION, 28, 28, 1]),
  cleanTest: tf.tensor4d(testSet.pixels, [testSet.count, 28, 28, 1]),
};
data.noisyTrain = noisyCopy(data.cleanTrain, 11);
const meanPixel = tf.tidy(() => tf.mean(data.cleanTrain).dataSync()[0]);
data.outputBias = process.env.DEMO_ZERO_BIAS ? 0 : Math.log(meanPixel / (1 - meanPixel));
data.noisyValidation = noisyCopy(data.cleanValidation, 12);
data.noisyTest = noisyCopy(data.cleanTest, 13);
const cleanValidation = imagesOf(data.cleanValidation, VALIDATION);
const cleanTest = imagesOf(data.cleanTest, TEST);
console.log(`backend ${tf.getBackend()} (${JSON.stringify(backend)}); ${TRAIN} train / ${VALIDATION} validation / ${TEST} test images; ` +
  `${EPOCHS} epochs x ${Math.ceil(TRAIN / BATCH)} steps of ${BATCH}; learning rates ${LEARNING_RATES.join(', ')}; ${SEEDS} seeds`);

const results = [];
const gridColumns = [];
const demoStart = Date.now();
for (const loss of LOSSES) {
  const validationLoss = await getLossRegistry().resolveAsync(loss.spec);
  const sweep = [];
  let best;
  for (const lr of LEARNING_RATES) {
    const run = await train(loss, lr, 1, data);
    const output = predict(run.model, data.noisyValidation);
    const value = tf.tidy(() => validationLoss.compute(data.cleanValidation, output).dataSync()[0]);
    const m = metrics(imagesOf(output, VALIDATION), cleanValidation);
    output.dispose();
    const entry = { lr, validationLoss: value, validationPsnr: m.psnr, validationSsim: m.ssim, validationBlack: m.black, seconds: run.seconds };
    sweep.push(entry);
    console.log(`${loss.label} lr ${lr}: validation loss ${value.toFixed(5)}, PSNR ${m.psnr.toFixed(2)}, SSIM ${m.ssim.toFixed(3)}, black ${(100 * m.black).toFixed(0)}% (${run.seconds.toFixed(0)} s)`);
    if (!best || value < best.value) {
      best?.model.dispose();
      best = { lr, value, model: run.model };
    } else run.model.dispose();
  }
  validationLoss.dispose();
  const perSeed = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const model = seed === 1 ? best.model : (await train(loss, best.lr, seed, data)).model;
    const output = predict(model, data.noisyTest);
    const images = imagesOf(output, TEST);
    perSeed.push({ seed, ...metrics(images, cleanTest) });
    if (seed === 1) gridColumns.push(images.slice(0, 8).map((image) => Float32Array.from(image)));
    output.dispose();
    model.dispose();
  }
  const summary = {
    loss: loss.label, spec: loss.spec, bestLr: best.lr, sweep, perSeed,
    psnr: { mean: mean(perSeed.map((r) => r.psnr)), sd: spread(perSeed.map((r) => r.psnr)) },
    ssim: { mean: mean(perSeed.map((r) => r.ssim)), sd: spread(perSeed.map((r) => r.ssim)) },
    black: mean(perSeed.map((r) => r.black)),
  };
  results.push(summary);
  console.log(`${loss.label}: best lr ${best.lr}; test PSNR ${summary.psnr.mean.toFixed(2)} ± ${summary.psnr.sd.toFixed(2)}, SSIM ${summary.ssim.mean.toFixed(3)} ± ${summary.ssim.sd.toFixed(3)}`);
}

const noisyImages = imagesOf(data.noisyTest, TEST);
const noisy = metrics(noisyImages, cleanTest);
mkdirSync(DOCS, { recursive: true });
const rows = Array.from({ length: 8 }, (_, i) => [noisyImages[i], ...gridColumns.map((column) => column[i]), cleanTest[i]]);
writeGrid(join(DOCS, `denoise-grid${TAG}.png`), rows, 28, 28, 3);
const report = {
  backend: tf.getBackend(), train: TRAIN, validation: VALIDATION, test: TEST, epochs: EPOCHS, batchSize: BATCH,
  steps: EPOCHS * Math.ceil(TRAIN / BATCH), noiseSigma: NOISE, learningRates: LEARNING_RATES, seeds: SEEDS,
  selection: 'per loss, the learning rate with the lowest value of that loss on the validation split (seed 1)',
  outputBias: data.outputBias, minutes: +((Date.now() - demoStart) / 60000).toFixed(1), noisyInput: noisy, results,
};
writeFileSync(join(DOCS, `denoise-results${TAG}.json`), JSON.stringify(report, null, 2) + '\n');
console.log('\n| loss | best lr | PSNR (dB) mean ± sd | SSIM mean ± sd | all-black outputs |\n|---|---|---|---|---|');
console.log(`| noisy input | - | ${noisy.psnr.toFixed(2)} | ${noisy.ssim.toFixed(3)} | - |`);
for (const r of results) {
  console.log(`| ${r.loss} | ${r.bestLr} | ${r.psnr.mean.toFixed(2)} ± ${r.psnr.sd.toFixed(2)} | ${r.ssim.mean.toFixed(3)} ± ${r.ssim.sd.toFixed(3)} | ${(100 * r.black).toFixed(0)}% |`);
}
console.log(`\n${report.minutes} minutes`);

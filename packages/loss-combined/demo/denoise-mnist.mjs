// Denoising MNIST with a small conv autoencoder: the same model, the same initial weights and
// the same steps, trained once with L1 alone and once with `combined` (L1 + MobileNetV2
// features). Writes docs/denoise-grid.png (noisy | L1 | combined | clean) and
// docs/loss-curves.png, and prints PSNR and SSIM on held-out test images for both.
//
//   pnpm demo:combined          (env: DEMO_TRAIN, DEMO_EPOCHS, DEMO_BATCH, LOSSKIT_BACKEND)
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-combined';
import { Trainer, plotHistory } from '@losskit/trainer';
import { psnr, ssim } from './image-metrics.mjs';
import { readMnistImages } from './mnist.mjs';
import { writeGrid } from './png-grid.mjs';

const TRAIN = Number(process.env.DEMO_TRAIN ?? 2000);
const TEST = 200;
const EPOCHS = Number(process.env.DEMO_EPOCHS ?? 3);
const BATCH = Number(process.env.DEMO_BATCH ?? 32);
const NOISE = 0.4;
const COMBINED = { name: 'combined', options: { alpha: 0.5 } };
const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');

function noisyCopy(clean, seed) {
  return tf.tidy(() => tf.clipByValue(tf.add(clean, tf.randomNormal(clean.shape, 0, NOISE, 'float32', seed)), 0, 1));
}

function autoencoder() {
  const model = tf.sequential();
  const init = (seed) => tf.initializers.heNormal({ seed });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.upSampling2d({ size: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  return model;
}

async function train(label, loss, initialWeights, x, y) {
  const model = autoencoder();
  model.setWeights(initialWeights);
  const trainer = new Trainer({ model, optimizer: tf.train.adam(2e-3), loss, verbose: false });
  const start = Date.now();
  const history = await trainer.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, seed: 1, verbose: 0 });
  const seconds = (Date.now() - start) / 1000;
  console.log(`${label}: trained ${EPOCHS} epochs x ${Math.ceil(TRAIN / BATCH)} steps on ${tf.getBackend()} in ${seconds.toFixed(1)} s`);
  return { model, history, seconds };
}

function evaluate(model, noisy, clean) {
  const output = tf.tidy(() => model.predict(noisy, { batchSize: 50 }));
  const out = output.dataSync();
  const ref = clean.dataSync();
  const size = 28 * 28;
  let p = 0, s = 0;
  for (let i = 0; i < TEST; i++) {
    const a = out.subarray(i * size, (i + 1) * size);
    const b = ref.subarray(i * size, (i + 1) * size);
    p += psnr(a, b);
    s += ssim(a, b, 28, 28);
  }
  return { output, psnr: p / TEST, ssim: s / TEST };
}

const trainSet = readMnistImages('train', TRAIN);
const testSet = readMnistImages('test', TEST);
const cleanTrain = tf.tensor4d(trainSet.pixels, [trainSet.count, 28, 28, 1]);
const cleanTest = tf.tensor4d(testSet.pixels, [testSet.count, 28, 28, 1]);
const noisyTrain = noisyCopy(cleanTrain, 11);
const noisyTest = noisyCopy(cleanTest, 12);

const initialWeights = autoencoder().getWeights().map((w) => w.clone());
const l1 = await train('L1 (mean-absolute-error)', 'mae', initialWeights, noisyTrain, cleanTrain);
const combined = await train(`combined ${JSON.stringify(COMBINED.options)}`, COMBINED, initialWeights, noisyTrain, cleanTrain);

const l1Eval = evaluate(l1.model, noisyTest, cleanTest);
const combinedEval = evaluate(combined.model, noisyTest, cleanTest);
const noisyEval = { psnr: 0, ssim: 0 };
{
  const n = noisyTest.dataSync(), c = cleanTest.dataSync(), size = 28 * 28;
  for (let i = 0; i < TEST; i++) {
    noisyEval.psnr += psnr(n.subarray(i * size, (i + 1) * size), c.subarray(i * size, (i + 1) * size)) / TEST;
    noisyEval.ssim += ssim(n.subarray(i * size, (i + 1) * size), c.subarray(i * size, (i + 1) * size), 28, 28) / TEST;
  }
}

mkdirSync(DOCS, { recursive: true });
const image = (t, i) => t.dataSync().slice(i * 784, (i + 1) * 784);
const rows = Array.from({ length: 8 }, (_, i) => [image(noisyTest, i), image(l1Eval.output, i), image(combinedEval.output, i), image(cleanTest, i)]);
writeGrid(join(DOCS, 'denoise-grid.png'), rows, 28, 28, 3);
await plotHistory(
  { 'L1 run: train loss (L1)': l1.history.history.loss, 'combined run: train loss (combined)': combined.history.history.loss },
  join(DOCS, 'loss-curves.png'),
  { title: 'Training loss per epoch (each run on its own loss)', yScale: 'log' },
);

const result = {
  backend: tf.getBackend(), trainImages: TRAIN, testImages: TEST, epochs: EPOCHS, batchSize: BATCH, noiseSigma: NOISE,
  ssim: 'Wang et al. 2004, 11x11 Gaussian window sigma 1.5, K1 0.01, K2 0.03, data range 1, valid positions',
  noisyInput: { psnr: +noisyEval.psnr.toFixed(2), ssim: +noisyEval.ssim.toFixed(4) },
  l1: { psnr: +l1Eval.psnr.toFixed(2), ssim: +l1Eval.ssim.toFixed(4), trainSeconds: +l1.seconds.toFixed(1) },
  combined: { psnr: +combinedEval.psnr.toFixed(2), ssim: +combinedEval.ssim.toFixed(4), trainSeconds: +combined.seconds.toFixed(1), spec: COMBINED },
};
console.log(JSON.stringify(result, null, 2));

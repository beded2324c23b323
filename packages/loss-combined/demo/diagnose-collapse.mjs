// Why L2 and L1 give all-black outputs in the denoising comparison: trains the comparison's
// autoencoder (seed 1, Adam 3e-3, batch 16) with L2 or L1 and logs, every 10 steps, the mean
// and max output, the mean pre-sigmoid logit, and the share of the last hidden layer's ReLU
// units that are zero for every pixel of the batch (dead).
//
//   node packages/loss-combined/demo/diagnose-collapse.mjs [mean-squared-error|mae] [lr] [steps] [zero|mean]
//
// The last argument initialises the output bias to 0 (sigmoid 0.5, tfjs's default) or to the
// logit of the mean training pixel (the fix the comparison uses).
import * as tf from '@tensorflow/tfjs';
import { getLossRegistry } from '@losskit/core';
import '@losskit/loss-mse'; // 'mean-squared-error' lives in @losskit/loss-mse
import { selectBackend } from '@losskit/trainer';
import { readMnistImages } from './mnist.mjs';

const [lossName = 'mean-squared-error', lr = '3e-3', steps = '80', bias = 'zero'] = process.argv.slice(2);
await selectBackend();
const he = (k) => tf.initializers.heNormal({ seed: 10 + k });
const conv1 = tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: he(1) });
const pool = tf.layers.maxPooling2d({ poolSize: [2, 2] });
const conv2 = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: he(2) });
const up = tf.layers.upSampling2d({ size: [2, 2] });
const hidden = tf.sequential({ layers: [conv1, pool, conv2, up] });
const logits = (x) => out.apply(hidden.apply(x));

const { pixels, count } = readMnistImages('train', 1280);
const meanPixel = pixels.reduce((a, b) => a + b, 0) / pixels.length;
const biasInit = bias === 'mean' ? Math.log(meanPixel / (1 - meanPixel)) : 0;
const out = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }), biasInitializer: tf.initializers.constant({ value: biasInit }) });
const clean = tf.tensor4d(pixels, [count, 28, 28, 1]);
const noisy = tf.tidy(() => tf.clipByValue(tf.add(clean, tf.randomNormal(clean.shape, 0, 0.4, 'float32', 11)), 0, 1));
const loss = getLossRegistry().resolveSync(lossName);
const optimizer = tf.train.adam(Number(lr));
for (let step = 0; step < Number(steps); step++) {
  const start = (step * 16) % count;
  const [x, y] = [noisy.slice([start, 0, 0, 0], [16, 28, 28, 1]), clean.slice([start, 0, 0, 0], [16, 28, 28, 1])];
  if (step % 10 === 0 || step === Number(steps) - 1) {
    tf.tidy(() => {
      const h = hidden.apply(x);
      const z = out.apply(h);
      const p = tf.sigmoid(z);
      const dead = tf.mean(tf.cast(tf.equal(tf.max(h, [0, 1, 2]), 0), 'float32')).dataSync()[0];
      console.log(JSON.stringify({ step, loss: +loss.compute(y, p).dataSync()[0].toFixed(5), meanOut: +tf.mean(p).dataSync()[0].toFixed(4), maxOut: +tf.max(p).dataSync()[0].toFixed(4), meanLogit: +tf.mean(z).dataSync()[0].toFixed(2), deadUnits: dead }));
    });
  }
  optimizer.minimize(() => loss.compute(y, tf.sigmoid(logits(x))), false);
  tf.dispose([x, y]);
}

// Benchmarks @losskit/loss-ssim and @losskit/loss-image on the embedded default backend: one
// training step (forward, loss, backward, update) of the conv autoencoder (batch 16, 28x28x1)
// with each loss on wasm (with @losskit/wasm-training), as a ratio to the same step with L2 on
// wasm. Steps are interleaved across losses, medians compared. One JSON line per loss.
import { createRequire } from 'node:module';
import { convAutoencoder, noisyBatch } from './conv-autoencoder.mjs';
import { pathToFileURL } from 'node:url';

// bench/ has no dependencies of its own: resolve packages the way @losskit/loss-image does.
const requireFromPkg = createRequire(new URL('../packages/loss-image/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromPkg.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
await load('@losskit/wasm-training');
const { getLossRegistry } = await load('@losskit/core');
await load('@losskit/loss-ssim');
await load('@losskit/loss-image');
await load('@losskit/loss-mse'); // 'mean-squared-error'

const BATCH = 16;
const SIZE = 28;
const REPS = Number(process.env.BENCH_REPS ?? 9);
// Two scales are what 28x28 allows with the 11-tap window (the third would be 7x7).
const TWO_SCALES = [0.1356, 0.8644];
const LOSSES = [
  { label: 'l2', spec: 'mean-squared-error' },
  { label: 'ssim', spec: 'ssim', target: 3 },
  { label: 'ms-ssim', spec: { name: 'ms-ssim', options: { weights: TWO_SCALES } } },
  { label: 'ms-ssim-l1', spec: { name: 'ms-ssim-l1', options: { weights: TWO_SCALES } }, target: 5 },
  { label: 'total-variation', spec: 'total-variation' },
  { label: 'charbonnier', spec: 'charbonnier' },
  { label: 'style', spec: 'style' },
];

if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');

const model = convAutoencoder(tf, SIZE);
const { clean, noisy } = noisyBatch(tf, BATCH, SIZE);
const vars = model.trainableWeights.map((w) => w.read());
const optimizer = tf.train.sgd(0); // a full step that leaves the weights as they were

const resolved = [];
for (const loss of LOSSES) resolved.push({ ...loss, loss: await getLossRegistry().resolveAsync(loss.spec) });

function step(loss) {
  const start = process.hrtime.bigint();
  const cost = optimizer.minimize(() => loss.compute(clean, model.apply(noisy, { training: true })), true, vars);
  cost.dataSync();
  cost.dispose();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

for (const entry of resolved) for (let i = 0; i < 2; i++) step(entry.loss); // warm-up
const times = new Map(resolved.map((entry) => [entry.label, []]));
for (let rep = 0; rep < REPS; rep++) {
  const order = rep % 2 === 0 ? resolved : [...resolved].reverse();
  for (const entry of order) times.get(entry.label).push(step(entry.loss));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const l2 = median(times.get('l2'));
for (const entry of resolved) {
  if (entry.label === 'l2') continue;
  const ms = median(times.get(entry.label));
  const ratio = ms / l2;
  console.log(JSON.stringify({
    bench: 'image-losses', case: `${entry.label}-step`, backend: tf.getBackend(), batch: BATCH, image: `${SIZE}x${SIZE}x1`,
    spec: entry.spec, reps: REPS, l2MedianMs: +l2.toFixed(2), lossMedianMs: +ms.toFixed(2), ratio: +ratio.toFixed(3),
    ...(entry.target ? { target: entry.target, pass: ratio <= entry.target } : {}),
  }));
}
for (const entry of resolved) entry.loss.dispose();

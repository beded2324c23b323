// Helpers the wasm benchmarks share (not a benchmark itself: run-all only runs *.bench.mjs).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// bench/ has no dependencies of its own: resolve tfjs the way @losskit/wasm-training does.
export const WASM_TRAINING = new URL('../packages/wasm-training/', import.meta.url);
const requireFromPkg = createRequire(new URL('package.json', WASM_TRAINING));
export const load = (name) => import(pathToFileURL(requireFromPkg.resolve(name)).href);

/** Deterministic values in [0, 1) (mulberry32), the same in every process and run. */
export function randomData(size, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

export const median = (values) => [...values].sort((p, q) => p - q)[Math.floor(values.length / 2)];
export const round = (v, d = 1) => (typeof v === 'number' ? Number(v.toFixed(d)) : v);

/** The MLP 784-512-512-10 (relu, relu, softmax) every wasm benchmark measures. */
export function mlp(tf) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** The conv autoencoder 28x28x1: conv16 3x3 relu, maxpool 2, upsample 2, conv1 3x3 sigmoid. */
export function convAutoencoder(tf) {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.upSampling2d({ size: [2, 2] }),
      tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
    ],
  });
}

/** A batch of MNIST-shaped inputs and one-hot labels for the MLP. */
export function mlpBatch(tf, batch, seed = 1) {
  const x = tf.tensor2d(randomData(batch * 784, seed), [batch, 784]);
  const labels = tf.tensor1d(Array.from(randomData(batch, seed + 1), (v) => Math.floor(v * 10)), 'int32');
  const y = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  return { x, y };
}

/** Steps per second of `step` (async), after `warmup` steps, for at least `minSeconds` and `minSteps`. */
export async function rate(step, { warmup = 2, minSteps = 3, minSeconds = 3 } = {}) {
  for (let i = 0; i < warmup; i++) await step();
  let steps = 0;
  const t0 = performance.now();
  while (steps < minSteps || performance.now() - t0 < minSeconds * 1000) {
    await step();
    steps++;
  }
  return steps / ((performance.now() - t0) / 1000);
}

/**
 * PyTorch's samples/s on `threads` threads (default: all cores) for the MLP and the conv
 * autoencoder (bench/torch-reference.py), when torch imports with LOSSKIT_TORCH_PYTHON (else
 * python3); otherwise { skipped: why }.
 */
export function torchFigures(mlpBatchSize, aeBatchSize, threads = undefined) {
  const python = process.env.LOSSKIT_TORCH_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `torch does not import with ${python} (pip install torch, CPU wheel; or set LOSSKIT_TORCH_PYTHON)` };
  const script = fileURLToPath(new URL('torch-reference.py', import.meta.url));
  const args = [script, String(mlpBatchSize), String(aeBatchSize), '4', ...(threads === undefined ? [] : [String(threads)])];
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 300000 });
  const line = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) return { skipped: `the torch reference failed: ${(r.stderr ?? '').trim().split('\n').pop()}` };
  return JSON.parse(line);
}

/**
 * How much PyTorch itself gains from a second thread on the same models and batches: runs on
 * 1, 2, 2 and 1 threads (so a drift of the machine favours neither), each ratio the geometric
 * mean of the two pairs. The reference for what two cores of this machine give at that moment;
 * also the mean 2-thread figures. { skipped: why } without torch.
 */
export function torchThreadScaling(mlpBatchSize, aeBatchSize) {
  const runs = [1, 2, 2, 1].map((threads) => torchFigures(mlpBatchSize, aeBatchSize, threads));
  const skipped = runs.find((r) => r.skipped);
  if (skipped) return { skipped: skipped.skipped };
  const [one1, two1, two2, one2] = runs;
  const ratio = (key) => Math.sqrt((two1[key] / one1[key]) * (two2[key] / one2[key]));
  const mean = (a, b, key) => (a[key] + b[key]) / 2;
  return {
    torch: one1.torch, mlp_ratio: ratio('mlp_sps'), ae_ratio: ratio('ae_sps'),
    one_thread: { mlp_sps: mean(one1, one2, 'mlp_sps'), ae_sps: mean(one1, one2, 'ae_sps') },
    two_threads: { threads: 2, torch: one1.torch, mlp_sps: mean(two1, two2, 'mlp_sps'), ae_sps: mean(two1, two2, 'ae_sps') },
  };
}

/**
 * The seed article's example, through losskit: a custom MSE registered as a plugin and
 * resolved by name ('mse'), a Dense(64, relu) -> Dense(10, softmax) model, adam, 1,000 random
 * samples, 10 epochs. Data and initial weights are seeded, so every run prints the same losses
 * (on the same backend).
 */
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse';
import { plotHistory, selectBackend, Trainer } from '@losskit/trainer';

const SEED = 42;

function buildModel(): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: SEED + offset });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [32], kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
  return model;
}

// Backend first: the model's weights and the data are then created on the backend that
// trains them (no cpu tensors to migrate, no TF.js "running in Node.js" cpu banner), and the
// Trainer reuses this choice instead of selecting (and logging) again.
await selectBackend();
const model = buildModel();
// As in the seed: inputs and targets are uniform random numbers in [0, 1).
const x = tf.randomUniform([1000, 32], 0, 1, 'float32', SEED + 3);
const y = tf.randomUniform([1000, 10], 0, 1, 'float32', SEED + 4);

const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse' });
const { history } = await trainer.fit(x, y, { epochs: 10, batchSize: 32, seed: SEED, verbose: 2 });

const losses = history.loss!;
console.log(`loss by epoch: ${losses.map((v) => v.toFixed(5)).join(', ')}`);
console.log(`final loss (mse): ${losses[losses.length - 1]!.toFixed(6)}`);
tf.dispose([x, y]);

// Loss curve (added by the persistence/plots owner): a PNG anyone can open, rendered offline.
const plotFile = await plotHistory(history, new URL('../out/loss-curve.png', import.meta.url).pathname, { title: 'seed demo: mse by epoch' });
console.log(`loss curve: ${plotFile}`);

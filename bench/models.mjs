// Compiled models and data shared by the training-throughput benches (wasm-training, native), so
// every backend is measured on the same networks: the MLP 784-512-512-10 (categorical
// cross-entropy, sgd) and the 28x28 conv autoencoder (conv16, pool, upsample, conv1; MSE, adam).
// The layer stacks and the data come from common.mjs, which the matmul and parallel benches use.
import { convAutoencoder, mlp, mlpBatch, randomData } from './common.mjs';

export { mlpBatch, randomData };

/** The MLP, compiled, on the active backend. */
export function buildMlp(tf) {
  const net = mlp(tf);
  net.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  return net;
}

/** The conv autoencoder, compiled, on the active backend. */
export function buildAutoencoder(tf) {
  const net = convAutoencoder(tf);
  net.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
  return net;
}

/** A batch of autoencoder images (input and target alike). */
export function autoencoderBatch(tf, batch) {
  return tf.tensor4d(randomData(batch * 784, 5), [batch, 28, 28, 1]);
}

// Models and data shared by the training-throughput benches (wasm-training, native), so every
// backend is measured on the same networks: the MLP 784-512-512-10 (categorical cross-entropy,
// sgd) and the 28x28 conv autoencoder (conv16, pool, upsample, conv1; MSE, adam).

/** Deterministic values in [0, 1) (mulberry32), the same on every backend. */
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

/** The MLP, compiled, on the active backend. */
export function buildMlp(tf) {
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  net.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  return net;
}

/** A batch of MLP inputs and one-hot targets. */
export function mlpBatch(tf, batch) {
  const x = tf.tensor2d(randomData(batch * 784, 1), [batch, 784]);
  const labels = tf.tensor1d(Array.from(randomData(batch, 2), (v) => Math.floor(v * 10)), 'int32');
  return { x, y: tf.oneHot(labels, 10).toFloat() };
}

/** The conv autoencoder, compiled, on the active backend. */
export function buildAutoencoder(tf) {
  const net = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.upSampling2d({ size: [2, 2] }),
      tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
    ],
  });
  net.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
  return net;
}

/** A batch of autoencoder images (input and target alike). */
export function autoencoderBatch(tf, batch) {
  return tf.tensor4d(randomData(batch * 784, 5), [batch, 28, 28, 1]);
}

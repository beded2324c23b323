// The conv autoencoder the loss benchmarks train (conv 16, pool, conv 16, upsample, conv 1),
// built with the caller's tfjs so each benchmark keeps its own single copy.

/** A fresh model for size x size x 1 images, with seeded initial weights. */
export function convAutoencoder(tf, size) {
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [size, size, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.upSampling2d({ size: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: init(3) }));
  return model;
}

/** A clean batch in [0, 1] and its noisy copy (Gaussian noise, clipped), seeded. */
export function noisyBatch(tf, batch, size) {
  const clean = tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 42);
  const noisy = tf.clipByValue(tf.add(clean, tf.randomNormal([batch, size, size, 1], 0, 0.3, 'float32', 43)), 0, 1);
  return { clean, noisy };
}

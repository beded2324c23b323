import * as tf from '@tensorflow/tfjs';

/** Per-image Gram matrices F^T F, [batch, c, c], of features [batch, h, w, c]. */
export function gramMatrices(features: tf.Tensor4D): tf.Tensor3D {
  const [batch, height, width, channels] = features.shape;
  const flat = tf.reshape(features, [batch, height * width, channels]) as tf.Tensor3D;
  return tf.matMul(flat, flat, true, false);
}

/** Per-image distance between the Gram matrices of two feature maps of one layer. */
export function gramDistance(featuresTrue: tf.Tensor4D, featuresPred: tf.Tensor4D, normalization: 'gatys' | 'none'): tf.Tensor1D {
  const [, height, width] = featuresPred.shape;
  const meanSquare = tf.mean(tf.squaredDifference(gramMatrices(featuresTrue), gramMatrices(featuresPred)), [1, 2]) as tf.Tensor1D;
  // sum / (4 N^2 M^2) = mean over the N x N entries / (4 M^2)
  return normalization === 'gatys' ? tf.div(meanSquare, 4 * (height * width) ** 2) : meanSquare;
}

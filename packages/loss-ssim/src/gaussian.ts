import * as tf from '@tensorflow/tfjs';

/**
 * The normalised 1-D Gaussian window, centred at (size - 1) / 2 (Keras 3; the same as
 * pytorch_msssim's `size // 2` for the odd sizes it accepts). Computed in float64, then rounded.
 */
export function gaussianWindow(size: number, sigma: number): Float32Array {
  const centre = (size - 1) / 2;
  const weights = Array.from({ length: size }, (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((sum, w) => sum + w, 0);
  return Float32Array.from(weights, (w) => w / total);
}

export interface BlurOptions {
  /** The 1-D window (gaussianWindow). */
  window: Float32Array;
  /**
   * pytorch_msssim skips the blur along a side shorter than the window (with a warning);
   * false (Keras) requires both sides to fit, which callers check beforehand.
   */
  skipShortSides: boolean;
}

/**
 * Separable 'valid' blur of every channel of NHWC images: one depthwise convolution along
 * height and one along width, each with the window repeated over the channels, so all channels
 * (and all maps stacked on the channel axis by the caller) go through one kernel call.
 */
export function separableBlur(images: tf.Tensor4D, { window, skipShortSides }: BlurOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const [, height, width, channels] = images.shape;
    const size = window.length;
    const taps = new Float32Array(size * channels);
    for (let i = 0; i < size; i++) taps.fill(window[i]!, i * channels, (i + 1) * channels);
    let out = images;
    if (height >= size || !skipShortSides) out = tf.depthwiseConv2d(out, tf.tensor4d(taps, [size, 1, channels, 1]), 1, 'valid');
    if (width >= size || !skipShortSides) out = tf.depthwiseConv2d(out, tf.tensor4d(taps, [1, size, channels, 1]), 1, 'valid');
    return out;
  });
}

import * as tf from '@tensorflow/tfjs';
import { separableBlur, type BlurOptions } from './gaussian.js';

export interface SsimConstants extends BlurOptions {
  /** (k1 * maxVal) ** 2 */
  c1: number;
  /** (k2 * maxVal) ** 2 */
  c2: number;
}

/** Per image and channel, [batch, channels]: mean SSIM and mean contrast-structure term. */
export interface SsimTerms {
  ssim: tf.Tensor2D;
  cs: tf.Tensor2D;
}

/**
 * Wang et al. 2004 with alpha = beta = gamma = 1, as `keras.ops.image.ssim` and
 * `pytorch_msssim._ssim` compute it: Gaussian-weighted local means, variances and covariance
 * (E[xy] - E[x]E[y]) at 'valid' positions, then the mean of the maps over those positions.
 *
 * The five maps to blur (x, y, x^2, y^2, xy) are stacked on the channel axis and blurred in
 * one separable depthwise pass. Each image and channel is first shifted by its mean, which
 * leaves variances and covariance unchanged but keeps E[x^2] - E[x]^2 from cancelling in
 * float32 (on a constant 0.75 image the unshifted form is off by ~1e-7 absolute, 1e-4 of c2).
 * Both denominators are at least c1 * c2 > 0, so values and gradients stay finite on
 * constant, all-zero and identical images.
 */
export function ssimTerms(x: tf.Tensor4D, y: tf.Tensor4D, constants: SsimConstants): SsimTerms {
  return tf.tidy(() => {
    const channels = x.shape[3];
    const shiftX = tf.mean(x, [1, 2], true);
    const shiftY = tf.mean(y, [1, 2], true);
    const cx = tf.sub(x, shiftX);
    const cy = tf.sub(y, shiftY);
    const stacked = tf.concat([cx, cy, tf.mul(cx, cx), tf.mul(cy, cy), tf.mul(cx, cy)], 3) as tf.Tensor4D;
    const blurred = separableBlur(stacked, constants);
    const [meanCx, meanCy, xx, yy, xy] = tf.split(blurred, [channels, channels, channels, channels, channels], 3);
    const sigmaXX = tf.sub(xx!, tf.square(meanCx!));
    const sigmaYY = tf.sub(yy!, tf.square(meanCy!));
    const sigmaXY = tf.sub(xy!, tf.mul(meanCx!, meanCy!));
    const muX = tf.add(meanCx!, shiftX);
    const muY = tf.add(meanCy!, shiftY);
    const muXY = tf.mul(muX, muY);
    const muXX = tf.mul(muX, muX);
    const muYY = tf.mul(muY, muY);
    const csMap = tf.div(tf.add(tf.mul(sigmaXY, 2), constants.c2), tf.add(tf.add(sigmaXX, sigmaYY), constants.c2));
    const luminance = tf.div(tf.add(tf.mul(muXY, 2), constants.c1), tf.add(tf.add(muXX, muYY), constants.c1));
    const ssimMap = tf.mul(luminance, csMap);
    return { ssim: spatialMean(ssimMap), cs: spatialMean(csMap) };
  });
}

/**
 * Mean over height and width, [batch, channels]: along rows first, then over the row means.
 * tfjs sums in float32 one element after another; one sum over the 24,000 positions of a
 * 161x170 map is off by ~1e-5 relative, two sums of ~160 elements by ~1e-7.
 */
function spatialMean(map: tf.Tensor): tf.Tensor2D {
  return tf.mean(tf.mean(map, 2), 1) as tf.Tensor2D;
}

/**
 * pytorch_msssim's 2x2 average pooling between scales: a side of odd length is zero-padded by
 * one on both ends first (`avg_pool2d(kernel_size=2, padding=s % 2)`, padding counted in the
 * mean), so an odd side n becomes (n + 1) / 2.
 */
export function downsample(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, height, width] = images.shape;
    const padH = height % 2;
    const padW = width % 2;
    const padded = padH || padW ? tf.pad(images, [[0, 0], [padH, padH], [padW, padW], [0, 0]]) : images;
    return tf.avgPool(padded, 2, 2, 'valid');
  });
}

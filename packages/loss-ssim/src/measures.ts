import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@losskit/core';
import { gaussianWindow } from './gaussian.js';
import type { MsSsimOptions, SsimOptions, SsimShapeOptions } from './options.js';
import { reluPow } from './safe-math.js';
import { downsample, ssimTerms, type SsimConstants } from './ssim-core.js';

export function ssimConstants(options: SsimShapeOptions): SsimConstants {
  return {
    c1: (options.k1 * options.maxVal) ** 2,
    c2: (options.k2 * options.maxVal) ** 2,
    window: gaussianWindow(options.filterSize, options.filterSigma),
    skipShortSides: options.shortSides === 'skip-blur',
  };
}

/** Smallest side that `scales` scales fit: the coarsest still holds the whole window. */
export function minimumSide(filterSize: number, scales: number): number {
  return (filterSize - 1) * 2 ** (scales - 1) + 1;
}

/** Throws a ShapeMismatchError naming the minimum size when the images are too small. */
export function assertFits(loss: string, shape: readonly number[], options: SsimShapeOptions, scales: number): void {
  if (options.shortSides === 'skip-blur') return;
  const [, height, width] = shape as [number, number, number, number];
  const needed = minimumSide(options.filterSize, scales);
  if (Math.min(height, width) >= needed) return;
  let fitting = 0;
  while (minimumSide(options.filterSize, fitting + 1) <= Math.min(height, width)) fitting++;
  const what = scales === 1 ? `the ${options.filterSize}x${options.filterSize} window` : `${scales} scales with the ${options.filterSize}x${options.filterSize} window`;
  const fewer =
    scales > 1 && fitting > 0
      ? ` pass ${fitting} weight${fitting === 1 ? '' : 's'} (option weights: ${fitting} scale${fitting === 1 ? '' : 's'} fit ${height}x${width}),`
      : '';
  throw new ShapeMismatchError(
    `Loss '${loss}': the images are ${height}x${width}, but ${what} need${scales === 1 ? 's' : ''} at least ` +
      `${needed}x${needed}` +
      (scales > 1 ? ' (each scale halves the size and the coarsest must still hold the window)' : '') +
      `. Use larger images,${fewer} a smaller filterSize, or shortSides: 'skip-blur' (pytorch_msssim's behaviour).`,
  );
}

/** Mean SSIM per image, [batch]: the mean over channels of each channel's mean SSIM. */
export function ssimPerImage(x: tf.Tensor4D, y: tf.Tensor4D, options: SsimOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { ssim } = ssimTerms(x, y, ssimConstants(options));
    return tf.mean(options.nonnegative ? tf.relu(ssim) : ssim, 1) as tf.Tensor1D;
  });
}

/**
 * MS-SSIM per image, [batch], as pytorch_msssim.ms_ssim: at every scale but the last the
 * contrast-structure term, at the last the SSIM, each clipped at 0 (relu) and raised to its
 * weight, multiplied over scales per channel, then averaged over channels.
 */
export function msSsimPerImage(x: tf.Tensor4D, y: tf.Tensor4D, options: MsSsimOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const constants = ssimConstants(options);
    const { weights } = options;
    let product: tf.Tensor | undefined;
    let a = x;
    let b = y;
    for (let level = 0; level < weights.length; level++) {
      const last = level === weights.length - 1;
      const { ssim, cs } = ssimTerms(a, b, constants);
      const factor = reluPow(last ? ssim : cs, weights[level]!);
      product = product ? tf.mul(product, factor) : factor;
      if (!last) {
        a = downsample(a);
        b = downsample(b);
      }
    }
    return tf.mean(product!, 1) as tf.Tensor1D;
  });
}

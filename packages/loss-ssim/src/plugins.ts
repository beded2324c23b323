import * as tf from '@tensorflow/tfjs';
import { inject, LOSS_OPTIONS, RegisterLoss, type LossPlugin } from '@losskit/core';
import { separableBlur } from './gaussian.js';
import { assertImagePair } from './images.js';
import { assertFits, msSsimPerImage, ssimConstants, ssimPerImage } from './measures.js';
import {
  msSsimL1OptionsSchema,
  msSsimOptionsSchema,
  ssimOptionsSchema,
  type MsSsimL1Options,
  type MsSsimOptions,
  type SsimOptions,
  type SsimShapeOptions,
} from './options.js';
import { REGISTRATION } from './package-info.js';
import { absZeroAtZero } from './safe-math.js';

const IMAGES = 'images [batch, height, width, channels]';

/**
 * An empty batch has no images, so no per-image values (the reductions then give 0). Checked
 * before computing: wasm's Mean kernel traps (an integer division by zero) on an empty tensor.
 */
function noImages(yPred: tf.Tensor): tf.Tensor1D | undefined {
  return yPred.shape[0] === 0 ? tf.zeros([0]) : undefined;
}

/** Every SSIM-family loss refuses the same inputs: unequal or non-image shapes, then images too small for `scales` scales. */
function assertSsimInputs(loss: string, yTrue: readonly number[], yPred: readonly number[], options: SsimShapeOptions, scales: number): void {
  assertImagePair(loss, yTrue, yPred);
  assertFits(loss, yPred, options, scales);
}

/** 1 - SSIM per image (Wang et al. 2004; the numbers of keras.ops.image.ssim and pytorch_msssim.ssim). */
@RegisterLoss({
  name: 'ssim',
  aliases: ['ssim-loss'],
  description: `1 - SSIM per image: Gaussian window, valid positions, mean over space and channels; ${IMAGES}.`,
  options: ssimOptionsSchema,
  ...REGISTRATION,
})
export class SsimLoss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: SsimOptions) {}

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertSsimInputs('ssim', yTrue, yPred, this.options, 1);
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return noImages(yPred) ?? tf.sub(1, ssimPerImage(yTrue as tf.Tensor4D, yPred as tf.Tensor4D, this.options));
  }
}

/** 1 - MS-SSIM per image (Wang et al. 2003; pytorch_msssim.ms_ssim semantics). */
@RegisterLoss({
  name: 'ms-ssim',
  aliases: ['msssim', 'multi-scale-ssim'],
  description: `1 - MS-SSIM per image: one scale per weight, 2x2 average pooling between scales, negative terms clipped at 0; ${IMAGES}.`,
  options: msSsimOptionsSchema,
  ...REGISTRATION,
})
export class MsSsimLoss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: MsSsimOptions) {}

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertSsimInputs('ms-ssim', yTrue, yPred, this.options, this.options.weights.length);
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return noImages(yPred) ?? tf.sub(1, msSsimPerImage(yTrue as tf.Tensor4D, yPred as tf.Tensor4D, this.options));
  }
}

/** Zhao et al. 2017's mix: alpha * (1 - MS-SSIM) + (1 - alpha) * (Gaussian-weighted) L1 / maxVal. */
@RegisterLoss({
  name: 'ms-ssim-l1',
  aliases: ['mix-ms-ssim-l1'],
  description: `alpha * (1 - MS-SSIM) + (1 - alpha) * Gaussian-weighted L1 (Zhao et al. 2017, alpha 0.84); ${IMAGES}.`,
  options: msSsimL1OptionsSchema,
  ...REGISTRATION,
})
export class MsSsimL1Loss implements LossPlugin {
  constructor(@inject(LOSS_OPTIONS) private readonly options: MsSsimL1Options) {}

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertSsimInputs('ms-ssim-l1', yTrue, yPred, this.options, this.options.weights.length);
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const empty = noImages(yPred);
    if (empty) return empty;
    const { alpha, maxVal } = this.options;
    const x = yTrue as tf.Tensor4D;
    const y = yPred as tf.Tensor4D;
    const parts: tf.Tensor[] = [];
    if (alpha > 0) parts.push(tf.mul(tf.sub(1, msSsimPerImage(x, y, this.options)), alpha));
    if (alpha < 1) parts.push(tf.mul(this.l1(x, y), (1 - alpha) / maxVal));
    return parts.length === 1 ? parts[0]! : tf.add(parts[0]!, parts[1]!);
  }

  /** Per image: the mean absolute error, Gaussian-weighted over every window position or plain. */
  private l1(x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor1D {
    const error = absZeroAtZero(tf.sub(x, y)) as tf.Tensor4D;
    const weighted = this.options.l1 === 'gaussian' ? separableBlur(error, ssimConstants(this.options)) : error;
    return tf.mean(weighted, [1, 2, 3]) as tf.Tensor1D;
  }
}

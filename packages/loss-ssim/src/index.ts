import 'reflect-metadata';

export { SsimLoss, MsSsimLoss, MsSsimL1Loss } from './plugins.js';
export {
  ssimOptionsSchema,
  msSsimOptionsSchema,
  msSsimL1OptionsSchema,
  MS_SSIM_WEIGHTS,
  type SsimOptions,
  type MsSsimOptions,
  type MsSsimL1Options,
} from './options.js';
export { ssimPerImage, msSsimPerImage, minimumSide } from './measures.js';
export { gaussianWindow, separableBlur, type BlurOptions } from './gaussian.js';
export { reluPow, absZeroAtZero } from './safe-math.js';
export { assertImagePair } from './images.js';
export { PACKAGE } from './package-info.js';

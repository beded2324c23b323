import { z } from '@losskit/core';

/** The five level weights of Wang et al. 2003, as pytorch_msssim uses them. */
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/**
 * Options every SSIM-family loss takes. Names and defaults are Keras 3's
 * (`keras.ops.image.ssim(max_val=1, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03)`).
 */
export const ssimShape = {
  /** Data range of the images (max - min): 1 for [0, 1], 255 for bytes. pytorch_msssim's data_range. */
  maxVal: z.number().positive().default(1),
  /** Side of the Gaussian window; odd sizes centre it on a pixel. */
  filterSize: z.number().int().min(1).max(63).default(11),
  filterSigma: z.number().positive().default(1.5),
  k1: z.number().positive().default(0.01),
  k2: z.number().positive().default(0.03),
  /**
   * Images with a side shorter than the window: 'error' (default; Keras has no valid position
   * there) or 'skip-blur' (pytorch_msssim: no smoothing along that side).
   */
  shortSides: z.enum(['error', 'skip-blur']).default('error'),
};

export const ssimOptionsSchema = z.object({
  ...ssimShape,
  /** pytorch_msssim's `nonnegative_ssim`: relu on each channel's SSIM before the mean. */
  nonnegative: z.boolean().default(false),
});

const weights = z
  .array(z.number().nonnegative())
  .min(1)
  .max(8)
  .default(() => [...MS_SSIM_WEIGHTS]);

export const msSsimShape = {
  ...ssimShape,
  /**
   * One weight per scale, finest first; their count is the number of scales. Fewer scales for
   * small images (two fit 28x28 with the 11-tap window), e.g. [0.1356, 0.8644] (the first two
   * defaults renormalised). Used as given, like pytorch_msssim.
   */
  weights,
};

export const msSsimOptionsSchema = z.object(msSsimShape);

export const msSsimL1OptionsSchema = z.object({
  ...msSsimShape,
  /** Share of the MS-SSIM term (Zhao et al. 2017: 0.84); the L1 term gets 1 - alpha. */
  alpha: z.number().min(0).max(1).default(0.84),
  /**
   * 'gaussian' (default, Zhao et al.): the absolute error weighted by the Gaussian window over
   * each valid window position, i.e. the blurred |x - y| map averaged; 'plain': mean |x - y|.
   * Both are divided by maxVal, so the mix does not depend on the data range.
   */
  l1: z.enum(['gaussian', 'plain']).default('gaussian'),
});

export type SsimOptions = z.output<typeof ssimOptionsSchema>;
export type MsSsimOptions = z.output<typeof msSsimOptionsSchema>;
export type MsSsimL1Options = z.output<typeof msSsimL1OptionsSchema>;
export type SsimShapeOptions = Pick<SsimOptions, keyof typeof ssimShape>;

import * as tf from '@tensorflow/tfjs';
import { inject, LOSS_OPTIONS, RegisterLoss, z, type DependencyContainer, type LossPlugin } from '@losskit/core';
import {
  assertChannelsFit,
  assertExtractorLayers,
  constantFeatures,
  DEFAULT_LAYERS,
  extractorLoaderFor,
  extractorOptionSchema,
  FEATURE_EXTRACTOR,
  requireExtractor,
  featureLayerSchema,
  imageInputSchema,
  isFeatureExtractor,
  prepareImages,
  type FeatureExtractor,
  type FeatureExtractorLoader,
} from '@losskit/loss-combined';
import { assertImagePair } from '@losskit/loss-ssim';
import { gramDistance } from './gram.js';
import { REGISTRATION } from './package-info.js';

export const styleOptionsSchema = z.object({
  /** Feature layers and their weights; default: the layers `combined` uses. */
  layers: z.array(featureLayerSchema).min(1).default(() => DEFAULT_LAYERS.map((layer) => ({ ...layer }))),
  /**
   * 'gatys' (default): sum_ij (G - A)_ij^2 / (4 N^2 M^2) per layer with G = F^T F, N channels and
   * M = h * w positions (Gatys et al. 2016, eq. 4). 'none': mean_ij (G - A)_ij^2 with the
   * unnormalised Gram matrix (piq.StyleLoss with mse distance).
   */
  normalization: z.enum(['gatys', 'none']).default('gatys'),
  input: imageInputSchema,
  extractor: extractorOptionSchema,
});
export type StyleOptions = z.output<typeof styleOptionsSchema>;

/**
 * Gram-matrix (style) loss per image on the features of a frozen network injected under
 * loss-combined's FEATURE_EXTRACTOR token (the same MobileNetV2 by default, shared with
 * `combined`). The features of y_true are constants (no gradient, no tape).
 */
@RegisterLoss({
  name: 'style',
  aliases: ['gram-style', 'style-loss'],
  description: 'Sum over layers of the distance between Gram matrices of frozen-network features (Gatys et al. 2016); images [batch, h, w, c].',
  options: styleOptionsSchema,
  ...REGISTRATION,
  defaults: [
    {
      token: FEATURE_EXTRACTOR,
      provider: {
        useFactory: (container: DependencyContainer) => extractorLoaderFor((container.resolve(LOSS_OPTIONS) as StyleOptions).extractor),
      },
    },
  ],
})
export class StyleLoss implements LossPlugin {
  private extractor: FeatureExtractor | undefined;
  private readonly loader: FeatureExtractorLoader | undefined;

  constructor(
    @inject(LOSS_OPTIONS) private readonly options: StyleOptions,
    @inject(FEATURE_EXTRACTOR) source: FeatureExtractor | FeatureExtractorLoader,
  ) {
    if (isFeatureExtractor(source)) this.useExtractor(source);
    else this.loader = source;
  }

  async prepare(): Promise<void> {
    if (!this.extractor && this.loader) this.useExtractor(await this.loader.load());
  }

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    assertImagePair('style', yTrue, yPred);
    if (this.extractor) assertChannelsFit(yPred, this.extractor);
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const extractor = requireExtractor('style', this.extractor);
    // No images, no per-image values (the reductions give 0); tf.split refuses the empty features.
    if (yPred.shape[0] === 0) return tf.zeros([0]);
    const names = this.options.layers.map((layer) => layer.name);
    const extract = (images: tf.Tensor4D) => extractor.extract(prepareImages(images, extractor, this.options.input), names);
    const featuresTrue = constantFeatures(yTrue as tf.Tensor4D, extract);
    const featuresPred = extract(yPred as tf.Tensor4D);
    const terms = this.options.layers.map((layer, i) =>
      tf.mul(gramDistance(featuresTrue[i]!, featuresPred[i]!, this.options.normalization), layer.weight),
    );
    return terms.length === 1 ? terms[0]! : tf.addN(terms);
  }

  private useExtractor(extractor: FeatureExtractor): void {
    assertExtractorLayers('style', extractor, this.options.layers);
    this.extractor = extractor;
  }
}

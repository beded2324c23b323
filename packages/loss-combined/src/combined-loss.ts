import * as tf from '@tensorflow/tfjs';
import {
  inject,
  LOSS_OPTIONS,
  RegisterLoss,
  ShapeMismatchError,
  type DependencyContainer,
  type LossPlugin,
} from '@losskit/core';
import { constantFeatures } from './constant-features.js';
import { assertExtractorLayers, requireExtractor } from './extractor-checks.js';
import { extractorLoaderFor } from './extractors/extractor-cache.js';
import { featureDistance } from './feature-distance.js';
import {
  FEATURE_EXTRACTOR,
  isFeatureExtractor,
  type FeatureExtractor,
  type FeatureExtractorLoader,
} from './feature-extractor.js';
import { combinedOptionsSchema, type CombinedOptions } from './options.js';
import { PACKAGE } from './package-info.js';
import { assertChannelsFit, prepareImages } from './prepare-images.js';

/**
 * `alpha * mean|y_true - y_pred| + (1 - alpha) * perceptual(y_true, y_pred)` per sample, the
 * perceptual term being a weighted sum over layers of a frozen network of the distance between
 * the features of y_true and y_pred.
 */
@RegisterLoss({
  name: 'combined',
  aliases: ['l1-perceptual'],
  description:
    'alpha * pixel L1 + (1 - alpha) * perceptual distance (feature MSE or LPIPS-style) in a frozen ' +
    'pretrained network injected through the FEATURE_EXTRACTOR token; images [batch, h, w, c].',
  options: combinedOptionsSchema,
  coreApi: '^1.0.0',
  package: PACKAGE,
  defaults: [
    {
      token: FEATURE_EXTRACTOR,
      // Builds from the `extractor` option of this resolution; the loaded network is shared by
      // every resolution with the same option (see extractor-cache).
      provider: {
        useFactory: (container: DependencyContainer) =>
          extractorLoaderFor((container.resolve(LOSS_OPTIONS) as CombinedOptions).extractor),
      },
    },
  ],
})
export class CombinedLoss implements LossPlugin {
  private extractor: FeatureExtractor | undefined;
  private readonly loader: FeatureExtractorLoader | undefined;
  private readonly layerNames: readonly string[];

  constructor(
    @inject(LOSS_OPTIONS) private readonly options: CombinedOptions,
    @inject(FEATURE_EXTRACTOR) source: FeatureExtractor | FeatureExtractorLoader,
  ) {
    this.layerNames = options.layers.map((layer) => layer.name);
    if (isFeatureExtractor(source)) this.useExtractor(source);
    else this.loader = source;
  }

  async prepare(): Promise<void> {
    if (!this.extractor && this.loader) this.useExtractor(await this.loader.load());
  }

  /** An injected extractor instance needs no loading, so `resolveSync` may use the loss. */
  isPrepared(): boolean {
    return this.extractor !== undefined;
  }

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    for (const [label, shape] of [['y_true', yTrue], ['y_pred', yPred]] as const) {
      if (shape.length !== 4) {
        throw new ShapeMismatchError(
          `Loss 'combined' compares images: ${label} must be rank 4 [batch, height, width, channels], ` +
            `got shape [${shape}]. Reshape flat images (e.g. [batch, 784] to [batch, 28, 28, 1]) first.`,
        );
      }
    }
    if (yTrue.some((dim, i) => dim !== yPred[i])) {
      throw new ShapeMismatchError(`Loss 'combined': y_true has shape [${yTrue}] but y_pred has shape [${yPred}]; they must match.`);
    }
    if (this.extractor) assertChannelsFit(yPred, this.extractor);
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    // No images, no per-image values (the reductions give 0); tf.split refuses the empty features.
    if (yPred.shape[0] === 0) return tf.zeros([0]);
    const { alpha } = this.options;
    const l1 = tf.mean(tf.abs(tf.sub(yTrue, yPred)), nonBatchAxes(yPred));
    // Skipping the network when its term has weight 0 is the largest saving there is.
    if (alpha === 1) return l1;
    const perceptual = this.perceptual(yTrue as tf.Tensor4D, yPred as tf.Tensor4D);
    if (alpha === 0) return perceptual;
    return tf.add(tf.mul(l1, alpha), tf.mul(perceptual, 1 - alpha));
  }

  /** The feature term alone, per sample. */
  perceptual(yTrue: tf.Tensor4D, yPred: tf.Tensor4D): tf.Tensor1D {
    const extractor = requireExtractor('combined', this.extractor);
    const extract = (images: tf.Tensor4D) =>
      extractor.extract(prepareImages(images, extractor, this.options.input), this.layerNames);
    const featuresTrue = constantFeatures(yTrue, extract);
    const featuresPred = extract(yPred);
    const terms = this.options.layers.map((layer, i) =>
      tf.mul(featureDistance(featuresTrue[i]!, featuresPred[i]!, this.options.normalization), layer.weight),
    );
    return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Tensor1D;
  }

  private useExtractor(extractor: FeatureExtractor): void {
    assertExtractorLayers('combined', extractor, this.options.layers);
    this.extractor = extractor;
  }
}

function nonBatchAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
}

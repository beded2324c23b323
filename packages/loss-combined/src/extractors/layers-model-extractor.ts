import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from '../feature-extractor.js';

export interface LayersModelExtractorOptions {
  /** Input value range the network was trained on; default [0, 1]. */
  inputRange?: readonly [number, number];
  /** Smallest height/width the network takes; default 1. */
  minSize?: number;
  /** For error messages; default the model's name. */
  description?: string;
}

/**
 * A FeatureExtractor over any tfjs layers model. The model is frozen (its layers set
 * non-trainable) so no optimiser ever updates it; for each set of requested layers a
 * truncated model ending at those layers is built once and kept.
 */
export class LayersModelExtractor implements FeatureExtractor {
  readonly description: string;
  readonly layerNames: readonly string[];
  readonly inputChannels: number;
  readonly inputRange: readonly [number, number];
  readonly minSize: number;
  private readonly truncated = new Map<string, tf.LayersModel>();

  constructor(
    readonly model: tf.LayersModel,
    options: LayersModelExtractorOptions = {},
  ) {
    for (const layer of model.layers) layer.trainable = false;
    model.trainable = false;
    this.description = options.description ?? `layers model '${model.name}'`;
    this.layerNames = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer').map((layer) => layer.name);
    const inputShape = model.inputs[0]!.shape;
    this.inputChannels = inputShape[inputShape.length - 1] ?? 3;
    this.inputRange = options.inputRange ?? [0, 1];
    this.minSize = options.minSize ?? 1;
  }

  extract(images: tf.Tensor4D, layers: readonly string[]): tf.Tensor4D[] {
    // training: false keeps BatchNorm on its moving statistics and Dropout off.
    const out = this.truncatedAt(layers).apply(images, { training: false });
    return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
  }

  private truncatedAt(layers: readonly string[]): tf.LayersModel {
    const key = layers.join('\u0000');
    let model = this.truncated.get(key);
    if (!model) {
      model = tf.model({
        inputs: this.model.inputs,
        outputs: layers.map((name) => this.model.getLayer(name).output as tf.SymbolicTensor),
      });
      this.truncated.set(key, model);
    }
    return model;
  }
}

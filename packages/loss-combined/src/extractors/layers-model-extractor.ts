import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from '../feature-extractor.js';
import { runFrozen } from './frozen-executor.js';

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
 * non-trainable) so no optimiser ever updates it, and evaluated only as far as the requested
 * layers, with no weight gradients (see frozen-executor).
 */
export class LayersModelExtractor implements FeatureExtractor {
  readonly description: string;
  readonly layerNames: readonly string[];
  readonly inputChannels: number;
  readonly inputRange: readonly [number, number];
  readonly minSize: number;

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
    const outputs = layers.map((name) => this.model.getLayer(name).output as tf.SymbolicTensor);
    return runFrozen(this.model.inputs, images, outputs) as tf.Tensor4D[];
  }
}

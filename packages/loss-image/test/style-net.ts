import * as tf from '@tensorflow/tfjs';

export type StyleNetWeights = Record<'conv1' | 'conv2', { kernel: number[]; kernelShape: number[]; bias: number[] }>;

/**
 * The tiny network of scripts/fixtures/image_losses.py (conv 3x3 -> relu1 -> avg-pool 2 ->
 * conv 3x3 -> relu2) with the fixture's weights, as a layers model for layersModelExtractor.
 */
export function styleNet(weights: StyleNetWeights): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const conv = (name: 'conv1' | 'conv2', layerName: string, x: tf.SymbolicTensor) => {
    const { kernel, kernelShape, bias } = weights[name];
    const layer = tf.layers.conv2d({ name: layerName, filters: kernelShape[3]!, kernelSize: 3, padding: 'same', activation: 'relu' });
    const out = layer.apply(x) as tf.SymbolicTensor;
    layer.setWeights([tf.tensor4d(kernel, kernelShape as [number, number, number, number]), tf.tensor1d(bias)]);
    return out;
  };
  const relu1 = conv('conv1', 'relu1', input);
  const pooled = tf.layers.averagePooling2d({ poolSize: 2 }).apply(relu1) as tf.SymbolicTensor;
  const relu2 = conv('conv2', 'relu2', pooled);
  return tf.model({ inputs: input, outputs: relu2 });
}

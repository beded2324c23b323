import * as tf from '@tensorflow/tfjs';

type Layer = tf.layers.Layer;

/**
 * Evaluates a frozen layers model up to `outputs`, in inference mode, so that backpropagation
 * through it computes input gradients only.
 *
 * tfjs-layers runs Conv2D through tf.fused.conv2d, whose gradient computes the filter and
 * bias gradients eagerly even when nothing asks for them; for a frozen feature network that
 * is most of the backward pass (6 of 8 s per MobileNetV2 step on the cpu backend). Here Conv2D
 * runs as tf.conv2d + bias + activation: their gradients are computed per input, and the tape
 * skips the weights' since no gradient is wanted for them. Every other layer runs as itself.
 */
export function runFrozen(inputs: readonly tf.SymbolicTensor[], images: tf.Tensor, outputs: readonly tf.SymbolicTensor[]): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>([[inputs[0]!.id, images]]);
  const evaluate = (symbolic: tf.SymbolicTensor): tf.Tensor => {
    const known = values.get(symbolic.id);
    if (known) return known;
    const layerInputs = symbolic.inputs.map(evaluate);
    const result = runLayer(symbolic.sourceLayer, layerInputs.length === 1 ? layerInputs[0]! : layerInputs, symbolic.callArgs);
    const value = Array.isArray(result) ? result[symbolic.outputTensorIndex ?? 0]! : result;
    values.set(symbolic.id, value);
    return value;
  };
  return outputs.map(evaluate);
}

interface ConvLayer {
  kernel: { read(): tf.Tensor4D };
  bias?: { read(): tf.Tensor1D } | null;
  useBias: boolean;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  dataFormat: string;
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

function runLayer(layer: Layer, input: tf.Tensor | tf.Tensor[], callArgs: object): tf.Tensor | tf.Tensor[] {
  if (layer.getClassName() === 'Conv2D' && !Array.isArray(input)) {
    const conv = layer as unknown as ConvLayer;
    if (conv.dataFormat === 'channelsLast') {
      let y: tf.Tensor = tf.conv2d(input as tf.Tensor4D, conv.kernel.read(), conv.strides, conv.padding, 'NHWC', conv.dilationRate);
      if (conv.useBias && conv.bias) y = tf.add(y, conv.bias.read());
      return conv.activation.apply(y);
    }
  }
  // training: false keeps BatchNorm on its moving statistics and Dropout off.
  return layer.apply(input, { ...callArgs, training: false }) as tf.Tensor | tf.Tensor[];
}

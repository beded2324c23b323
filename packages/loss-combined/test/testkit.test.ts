import * as tf from '@tensorflow/tfjs';
import { describeLossPlugin } from '@losskit/testkit';
import { layersModelExtractor } from '@losskit/loss-combined';
import type { DependencyContainer } from 'tsyringe';
import { containerWith, featuresOf } from './helpers.js';

// A tiny stand-in for MobileNetV2 whose layers carry the default layer names, so that the
// kit's empty spec and its option variants resolve exactly as they would with the default.
function tinyWithDefaultNames(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const a = tf.layers.conv2d({ name: 'block_1_expand_relu', filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: 'block_3_expand_relu', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(a) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: b });
}

// Built on first use (by the checks, after the before() below has selected cpu), never when
// the file loads: a model's weights are tensors, and the default backend at load time may be
// one that is registered but not initialised.
let cached: { model: tf.LayersModel; container: DependencyContainer } | undefined;
function fixture() {
  if (cached === undefined) {
    const model = tinyWithDefaultNames();
    cached = { model, container: containerWith(layersModelExtractor(model, { inputRange: [0, 1], minSize: 1 })) };
  }
  return cached;
}

describe('combined loss: @losskit/testkit checks', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describeLossPlugin({
    name: 'combined',
    aliases: ['l1-perceptual'],
    get container() {
      return fixture().container;
    },
    inputs: [[2, 6, 6, 3], [3, 5, 5, 1]],
    valueRange: { yTrue: [0, 1], yPred: [0, 1] },
    perSampleShape: (shape) => [shape[0]!],
    mismatchedShapes: [[2, 6, 6, 3], [2, 6, 6, 1]],
    validOptions: [{ alpha: 0.2 }, { alpha: 0, normalization: 'lpips', layers: [{ name: 'block_3_expand_relu', weight: 2 }] }],
    invalidOptions: [{ alpha: 2 }, { normalization: 'l2' }, { layers: [] }],
    // Independent reference: L1 over every pixel plus feature MSE from model.predict.
    reference: (yTrue, yPred, options) =>
      tf.tidy(() => {
        const alpha = options.alpha as number;
        const layers = options.layers as { name: string; weight: number }[];
        const rgb = (x: tf.Tensor) => (x.shape[3] === 1 ? tf.tile(x, [1, 1, 1, 3]) : x);
        const l1 = tf.mean(tf.abs(tf.sub(yTrue, yPred)), [1, 2, 3]);
        const perceptual = tf.addN(
          layers.map(({ name, weight }) => {
            const ft = featuresOf(fixture().model, name, rgb(yTrue));
            const fp = featuresOf(fixture().model, name, rgb(yPred));
            if (options.normalization === 'lpips') {
              const unit = (f: tf.Tensor) => tf.div(f, tf.sqrt(tf.add(tf.sum(tf.square(f), 3, true), 1e-10)));
              return tf.mul(tf.mean(tf.sum(tf.square(tf.sub(unit(ft), unit(fp))), 3), [1, 2]), weight);
            }
            return tf.mul(tf.mean(tf.square(tf.sub(ft, fp)), [1, 2, 3]), weight);
          }),
        );
        return tf.add(tf.mul(l1, alpha), tf.mul(perceptual, 1 - alpha));
      }),
  });
});

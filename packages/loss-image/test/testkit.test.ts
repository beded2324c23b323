import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer } from 'tsyringe';
import { FEATURE_EXTRACTOR, layersModelExtractor } from '@losskit/loss-combined';
import '@losskit/loss-image';
import { describeLossPlugin } from '@losskit/testkit';

// Values and gradients against kornia / piq are in reference.test.ts; here the plugin contract.
const perImage = (shape: readonly number[]) => [shape[0]!];

// A tiny stand-in for MobileNetV2 with the default layer names (smooth tanh features, so finite
// differences are meaningful). Built on first use, after before() selected cpu.
let styleContainer: ReturnType<typeof rootContainer.createChildContainer> | undefined;
function container() {
  if (!styleContainer) {
    const input = tf.input({ shape: [null, null, 3] });
    const a = tf.layers.conv2d({ name: 'block_1_expand_relu', filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'block_3_expand_relu', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(a) as tf.SymbolicTensor;
    styleContainer = rootContainer.createChildContainer();
    styleContainer.register(FEATURE_EXTRACTOR, { useValue: layersModelExtractor(tf.model({ inputs: input, outputs: b }), { inputRange: [0, 1], minSize: 1 }) });
  }
  return styleContainer;
}

describe('@losskit/loss-image: @losskit/testkit checks', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describeLossPlugin({
    name: 'total-variation',
    aliases: ['tv'],
    defaults: { norm: 'l1', spatial: 'sum' },
    validOptions: [{ norm: 'l2' }, { norm: 'l2-squared', spatial: 'mean' }],
    invalidOptions: [{ norm: 'l3' }, { spatial: 'median' }],
    inputs: [[2, 5, 6, 2], [1, 4, 4, 3]],
    inputRange: [0, 1],
    perSampleShape: perImage,
    mismatchedShapes: [[2, 5, 5, 1], [2, 5, 5, 2]],
  });

  describeLossPlugin({
    name: 'charbonnier',
    aliases: ['l1-charbonnier', 'pseudo-huber-l1'],
    defaults: { eps: 1e-3, form: 'sqrt' },
    validOptions: [{ eps: 0.1 }, { eps: 1, form: 'barron' }],
    invalidOptions: [{ eps: 0 }, { eps: 1e-9 }, { form: 'huber' }],
    inputs: [[4, 3], [2, 3, 3, 2]],
    perSampleShape: perImage,
    // independent reference: the formula in float64 per sample
    reference: (yTrue, yPred, options) => {
      const { eps, form } = options as { eps: number; form: string };
      const t = yTrue.dataSync();
      const p = yPred.dataSync();
      const batch = yPred.shape[0]!;
      const per = p.length / batch;
      const values = Array.from({ length: batch }, (_, b) => {
        let total = 0;
        for (let i = b * per; i < (b + 1) * per; i++) total += Math.sqrt((t[i]! - p[i]!) ** 2 + eps * eps);
        return total / per - (form === 'barron' ? eps : 0);
      });
      return tf.tensor1d(values);
    },
  });

  describeLossPlugin({
    name: 'style',
    aliases: ['gram-style', 'style-loss'],
    get container() {
      return container();
    },
    validOptions: [{ normalization: 'none', layers: [{ name: 'block_3_expand_relu', weight: 2 }] }],
    invalidOptions: [{ normalization: 'johnson' }, { layers: [] }],
    inputs: [[2, 6, 6, 3], [1, 5, 5, 1]],
    inputRange: [0, 1],
    perSampleShape: perImage,
    mismatchedShapes: [[2, 6, 6, 3], [2, 6, 6, 1]],
  });
});

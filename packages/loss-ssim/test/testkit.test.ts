import * as tf from '@tensorflow/tfjs';
import '@losskit/wasm-training';
import '@losskit/loss-ssim';
import { describeLossPlugin, edgeCasesForRange } from '@losskit/testkit';

// Values and gradients against fixtures are in reference.test.ts; here the plugin contract.
// Images lie in [0, maxVal]: inputRange puts the kit's random inputs and edge cases there.
describe('@losskit/loss-ssim: @losskit/testkit checks', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const perImage = (shape: readonly number[]) => [shape[0]!];

  describeLossPlugin({
    name: 'ssim',
    aliases: ['ssim-loss'],
    defaults: { maxVal: 1, filterSize: 11, filterSigma: 1.5, k1: 0.01, k2: 0.03, shortSides: 'error', nonnegative: false },
    validOptions: [{ filterSize: 7, filterSigma: 1, nonnegative: true }, { shortSides: 'skip-blur' }],
    invalidOptions: [{ filterSize: 0 }, { maxVal: -1 }, { shortSides: 'pad' }, { k1: 'small' }],
    inputs: [[2, 12, 13, 1], [1, 11, 11, 3]],
    inputRange: [0, 1],
    perSampleShape: perImage,
    mismatchedShapes: [[2, 12, 12, 1], [2, 12, 12, 3]],
  });
});

// MS-SSIM's default five scales need 161x161 images: these run on the wasm backend (the
// embedded default, with @losskit/wasm-training), difference the gradient at 12 elements and
// keep three edge cases of the range (both at 0, 0 against 1, identical random images); the
// fixtures in reference.test.ts and edge-cases.test.ts cover values, gradients and edges in full.
describe('@losskit/loss-ssim: @losskit/testkit checks on wasm (161x161 images)', () => {
  before(async () => {
    await tf.setBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  const perImage = (shape: readonly number[]) => [shape[0]!];
  const kept = ['both at the low end', 'low end against high end', 'identical random inputs'];
  const edgeCases = edgeCasesForRange([0, 1]).filter((edge) => kept.includes(edge.label));

  describeLossPlugin({
    name: 'ms-ssim',
    aliases: ['msssim', 'multi-scale-ssim'],
    validOptions: [{ weights: [0.3, 0.7], filterSize: 7 }],
    invalidOptions: [{ weights: [] }, { weights: [-1, 2] }, { filterSigma: 0 }],
    inputs: [[1, 161, 161, 1]],
    inputRange: [0, 1],
    edgeCases,
    perSampleShape: perImage,
    mismatchedShapes: [[1, 161, 161, 1], [1, 161, 161, 2]],
    gradient: { maxElements: 12 },
  });

  describeLossPlugin({
    name: 'ms-ssim-l1',
    aliases: ['mix-ms-ssim-l1'],
    validOptions: [{ weights: [0.4, 0.6], alpha: 0.5, l1: 'plain' }],
    invalidOptions: [{ alpha: 1.5 }, { l1: 'l2' }],
    inputs: [[1, 161, 161, 1]],
    inputRange: [0, 1],
    edgeCases,
    perSampleShape: perImage,
    mismatchedShapes: [[1, 161, 161, 1], [1, 161, 160, 1]],
    gradient: { maxElements: 12 },
  });
});

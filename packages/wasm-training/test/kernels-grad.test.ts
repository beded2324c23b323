/**
 * Gradients of the conv family through tf.grad on @losskit/wasm-training's kernels against the tfjs cpu backend: same inputs, compare outputs, max abs difference
 * within 1e-4 of the value scale. (The other kernels: kernels*.test.ts next to this file.)
 */
import * as tf from '@tensorflow/tfjs';
import '@losskit/wasm-training';
import { expectSameOnBothBackends, randomTensor, useBackendDuring } from './helpers.js';
import { describePad, explicit, outShape, type Pad, type Shape4 } from './kernel-shapes.js';

describe('@losskit/wasm-training: kernels match the cpu backend', function () {
  this.timeout(60000);
  useBackendDuring('wasm');

  describe('gradients through tf.grad', () => {
    const grads2 = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const y = f(a, b);
      const w = randomTensor(y.shape, 77);
      return tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p, q).mul(w).sum())([a, b]);
    };
    // Every padding kind (explicit included, asymmetric) and batch 1 next to batch 2.
    const gradCases: Array<{ stride: 1 | 2; pad: Pad; batch: number }> = [
      { stride: 1, pad: 'same', batch: 2 },
      { stride: 2, pad: 'valid', batch: 2 },
      { stride: 2, pad: 'same', batch: 2 },
      { stride: 1, pad: explicit(1, 0, 2, 1), batch: 2 },
      { stride: 2, pad: explicit(0, 2, 1, 1), batch: 2 },
      { stride: 1, pad: 'same', batch: 1 },
      { stride: 2, pad: 'valid', batch: 1 },
      { stride: 2, pad: explicit(2, 1, 0, 1), batch: 1 },
    ];
    for (const { stride, pad, batch } of gradCases) {
      const label = `stride ${stride}, ${describePad(pad)}, batch ${batch}`;
      it(`conv1d, ${label}`, async () => {
        // conv1d runs as conv2d on [N, 1, W, C]: an explicit padding pads the width only.
        const pad1d = typeof pad === 'string' ? pad : explicit(0, 0, pad[2][0], pad[2][1]);
        await expectSameOnBothBackends('conv1d', () => grads2(
          (x, f) => tf.conv1d(x as tf.Tensor3D, f as tf.Tensor3D, stride, pad1d),
          randomTensor([batch, 11, 2], 1), randomTensor([3, 2, 4], 2)));
      });
      it(`conv2d, ${label}`, async () => {
        await expectSameOnBothBackends('conv2d', () => grads2(
          (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad),
          randomTensor([batch, 9, 7, 3], 1), randomTensor([3, 3, 3, 4], 2)));
      });
      it(`conv2dTranspose, ${label}`, async () => {
        // conv2dTranspose(x) is the gradient of conv2d(out): x has conv2d's output shape for out.
        const out: Shape4 = [batch, 10, 9, 3];
        const xShape = outShape(out, [3, 3, 3, 4], stride, 1, pad, false);
        await expectSameOnBothBackends('conv2dTranspose', () => grads2(
          (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, out, stride, pad),
          randomTensor(xShape, 1), randomTensor([3, 3, 3, 4], 2)));
      });
      it(`depthwiseConv2d, ${label}, multiplier 2`, async () => {
        await expectSameOnBothBackends('depthwiseConv2d', () => grads2(
          (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad),
          randomTensor([batch, 9, 8, 3], 1), randomTensor([3, 3, 3, 2], 2)));
      });
      // tf.separableConv2d takes 'same' or 'valid' only: there is no explicit padding to test.
      if (typeof pad !== 'string') continue;
      it(`separableConv2d, ${label}`, async () => {
        await expectSameOnBothBackends('separableConv2d', () => {
          const x = randomTensor([batch, 9, 8, 3], 1);
          const dw = randomTensor([3, 3, 3, 2], 2);
          const pw = randomTensor([1, 1, 6, 4], 3);
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, stride, pad);
          const w = randomTensor(f(x, dw, pw).shape, 77);
          return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => f(a, b, c).mul(w).sum())([x, dw, pw]);
        });
      });
    }
  });
});

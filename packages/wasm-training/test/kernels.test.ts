/**
 * Every kernel @losskit/wasm-training registers (and the stock wasm kernels training relies
 * on next to them) against the tfjs cpu backend: same inputs, compare outputs, max abs
 * difference within 1e-4 of the value scale.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  registerWasmTrainingKernels, isWasmTrainingKernel, WASM_TRAINING_KERNELS,
} from '@losskit/wasm-training';
import { expectSameOnBothBackends, randomTensor, useBackend, useBackendDuring } from './helpers.js';
import type { Shape4 } from './kernel-shapes.js';

// Convolution gradients: kernels-conv.test.ts; GatherV2 and UnsortedSegmentSum: kernels-gather.test.ts;
// gradients through tf.grad: kernels-grad.test.ts.
describe('@losskit/wasm-training: kernels match the cpu backend', function () {
  this.timeout(60000);
  useBackendDuring('wasm');

  describe('registration', () => {
    it('registers every kernel for wasm, idempotently', () => {
      for (const name of WASM_TRAINING_KERNELS) expect(isWasmTrainingKernel(name), name).to.equal(true);
      expect(registerWasmTrainingKernels()).to.deep.equal([]);
      for (const name of WASM_TRAINING_KERNELS) expect(isWasmTrainingKernel(name), name).to.equal(true);
    });
  });

  describe('BatchMatMul and _FusedMatMul with transposes (replaced)', () => {
    const shapes: Array<{ a: number[]; b: number[] }> = [
      { a: [7, 5], b: [5, 6] },
      { a: [3, 7, 5], b: [3, 5, 6] },
      { a: [1, 4, 9], b: [3, 9, 2] },
      { a: [3, 4, 9], b: [1, 9, 2] },
      { a: [2, 2, 3, 4], b: [2, 2, 4, 5] },
      { a: [1, 1], b: [1, 8] },
    ];
    const t = (s: number[], on: boolean) => (on ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s);
    shapes.forEach((s, i) => {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        it(`matMul a ${t(s.a, ta)} b ${t(s.b, tb)} transposeA=${ta} transposeB=${tb}`, async () => {
          await expectSameOnBothBackends('matMul', () =>
            tf.matMul(randomTensor(t(s.a, ta), i), randomTensor(t(s.b, tb), 50 + i), ta, tb));
        });
      }
    });
    // batch sizes [a, b]: 1 x 1 is what Dense uses; larger batches hit a stock bias bug.
    for (const [ba, bb] of [[1, 1], [2, 2], [3, 1], [1, 2]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        for (const activation of ['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu'] as const) {
          it(`fused matMul, batches ${ba}x${bb}, bias + ${activation}, transposeA=${ta} transposeB=${tb}`, async () => {
            await expectSameOnBothBackends('fused', () => tf.fused.matMul({
              a: randomTensor(ta ? [ba, 6, 5] : [ba, 5, 6], 1) as tf.Tensor3D,
              b: randomTensor(tb ? [bb, 4, 6] : [bb, 6, 4], 2) as tf.Tensor3D,
              transposeA: ta, transposeB: tb, bias: randomTensor([4], 3), activation, leakyreluAlpha: 0.1,
            }));
          });
        }
      }
      it(`fused matMul, batches ${ba}x${bb}, no bias, relu`, async () => {
        await expectSameOnBothBackends('fused', () => tf.fused.matMul({
          a: randomTensor([ba, 5, 6], 1) as tf.Tensor3D, b: randomTensor([bb, 6, 4], 2) as tf.Tensor3D, activation: 'relu',
        }));
      });
    }
  });

  describe('MaxPoolGrad (replaced: the stock one misroutes all-negative windows)', () => {
    const cases: Array<{ x: Shape4; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' }> = [
      { x: [1, 5, 5, 1], k: 2, s: 1, pad: 'valid' },
      { x: [2, 6, 6, 3], k: 2, s: 2, pad: 'valid' },
      { x: [2, 7, 7, 2], k: 3, s: 2, pad: 'same' },
      { x: [3, 9, 8, 2], k: [3, 2], s: [2, 3], pad: 'same' },
      { x: [1, 7, 7, 4], k: 3, s: 1, pad: 'same' },
    ];
    cases.forEach((c, i) => {
      it(`grad of maxPool x ${c.x} window ${c.k} strides ${c.s} ${c.pad}`, async () => {
        await expectSameOnBothBackends('maxPool grad', () => {
          const x = randomTensor(c.x, i).sub(0.5); // plenty of all-negative windows
          const y = tf.maxPool(x as tf.Tensor4D, c.k, c.s, c.pad);
          const w = randomTensor(y.shape, 40 + i);
          return tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, c.k, c.s, c.pad).mul(w).sum())(x);
        });
      });
      it(`grad of avgPool x ${c.x} window ${c.k} strides ${c.s} ${c.pad} (stock)`, async () => {
        await expectSameOnBothBackends('avgPool grad', () => {
          const x = randomTensor(c.x, i);
          const y = tf.avgPool(x as tf.Tensor4D, c.k, c.s, c.pad);
          const w = randomTensor(y.shape, 40 + i);
          return tf.grad((v: tf.Tensor) => tf.avgPool(v as tf.Tensor4D, c.k, c.s, c.pad).mul(w).sum())(x);
        });
      });
    });
  });

  describe('no leaks', () => {
    it('tensors and wasm buffers stay flat over many training steps of a conv + dense model', async () => {
      await useBackend('wasm');
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3 }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const x = randomTensor([4, 8, 8, 2], 1);
      const y = randomTensor([4, 3], 2);
      const backend = tf.engine().backend as unknown as { numDataIds(): number };
      await model.trainOnBatch(x, y); // warm up: optimizer slots are created on the first step
      const tensorsBefore = tf.memory().numTensors;
      const buffersBefore = backend.numDataIds();
      for (let i = 0; i < 30; i++) await model.trainOnBatch(x, y);
      expect(tf.memory().numTensors).to.equal(tensorsBefore);
      expect(backend.numDataIds()).to.equal(buffersBefore);
      model.dispose();
      tf.dispose([x, y]);
    });
    it('each new kernel frees its intermediates (wasm buffers flat per call)', async () => {
      await useBackend('wasm');
      const backend = tf.engine().backend as unknown as { numDataIds(): number };
      const x = randomTensor([2, 9, 8, 3], 1) as tf.Tensor4D;
      const f = randomTensor([3, 3, 3, 2], 2) as tf.Tensor4D;
      const f2 = randomTensor([3, 3, 3, 4], 2) as tf.Tensor4D;
      const a = randomTensor([3, 6, 5], 3);
      const run = () => {
        tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.depthwiseConv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same').sum())([x, f])
          .forEach((t) => t.dispose());
        tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'valid').sum())([x, f2])
          .forEach((t) => t.dispose());
        tf.grad((p: tf.Tensor) => tf.maxPool(p as tf.Tensor4D, 2, 2, 'same').sum())(x).dispose();
        tf.matMul(a, a, true, false).dispose();
        tf.matMul(a, a, false, true).dispose();
      };
      run();
      const before = backend.numDataIds();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) run();
      expect(backend.numDataIds()).to.equal(before);
      expect(tf.memory().numTensors).to.equal(tensors);
      tf.dispose([x, f, f2, a]);
    });
  });
});

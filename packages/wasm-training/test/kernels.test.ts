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

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];
const describePad = (p: Pad) => (typeof p === 'string' ? p : `explicit ${JSON.stringify(p.slice(1, 3))}`);

function outShape(x: Shape4, f: Shape4, strides: number | [number, number], dil: number | [number, number], pad: Pad, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(x, f, strides, dil, pad, undefined, depthwise).outShape;
}

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

  describe('Conv2DBackpropFilter (new) and Conv2DBackpropInput (stock)', () => {
    const cases: Array<{ x: Shape4; f: Shape4; strides: number | [number, number]; pad: Pad }> = [
      { x: [1, 5, 5, 1], f: [3, 3, 1, 2], strides: 1, pad: 'same' },
      { x: [2, 7, 6, 3], f: [3, 3, 3, 4], strides: 1, pad: 'valid' },
      { x: [3, 9, 8, 2], f: [3, 2, 2, 3], strides: 2, pad: 'same' },
      { x: [2, 9, 9, 3], f: [3, 3, 3, 2], strides: 2, pad: 'valid' },
      { x: [2, 11, 10, 2], f: [4, 3, 2, 3], strides: [3, 2], pad: 'same' },
      { x: [1, 8, 7, 3], f: [2, 2, 3, 5], strides: [2, 3], pad: 'valid' },
      { x: [2, 7, 7, 2], f: [3, 3, 2, 2], strides: 2, pad: explicit(1, 2, 0, 1) },
      { x: [4, 6, 5, 3], f: [1, 1, 3, 4], strides: 1, pad: 'valid' },
      { x: [2, 5, 5, 2], f: [5, 5, 2, 2], strides: 1, pad: 'same' },
    ];
    cases.forEach((c, i) => {
      const label = `x ${c.x} filter ${c.f} strides ${c.strides} ${describePad(c.pad)}`;
      it(`backprop filter: ${label}`, async () => {
        const dyShape = outShape(c.x, c.f, c.strides, 1, c.pad, false);
        await expectSameOnBothBackends(label, () => tf.engine().runKernel('Conv2DBackpropFilter',
          { x: randomTensor(c.x, i), dy: randomTensor(dyShape, 100 + i) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor);
      });
      it(`backprop input: ${label}`, async () => {
        const dyShape = outShape(c.x, c.f, c.strides, 1, c.pad, false);
        await expectSameOnBothBackends(label, () => tf.engine().runKernel('Conv2DBackpropInput',
          { dy: randomTensor(dyShape, 100 + i), filter: randomTensor(c.f, 200 + i) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }) as tf.Tensor);
      });
    });
    // tfjs's cpu Conv2DBackpropFilter ignores `dilations` (it computes its conv info with
    // dilation 1), so the reference for a filter of size f dilated by d is the undilated cpu
    // kernel for the "effective" filter (f - 1) * d + 1, keeping every d-th tap: the taps in
    // between are the zeros of a zero-stuffed filter, whose gradient we do not want.
    const dilatedFilter: Array<{ x: Shape4; f: Shape4; strides: number | [number, number]; d: [number, number]; pad: Pad }> = [
      { x: [2, 9, 8, 2], f: [3, 3, 2, 3], strides: 1, d: [2, 2], pad: 'same' },
      { x: [2, 10, 9, 3], f: [2, 3, 3, 2], strides: 1, d: [3, 2], pad: 'valid' },
      { x: [1, 8, 7, 2], f: [3, 2, 2, 4], strides: 1, d: [2, 1], pad: explicit(1, 2, 1, 1) },
      { x: [1, 7, 9, 1], f: [2, 2, 1, 2], strides: 1, d: [1, 3], pad: 'same' },
      { x: [2, 11, 11, 2], f: [3, 3, 2, 2], strides: 2, d: [2, 2], pad: 'same' },
    ];
    dilatedFilter.forEach((c, i) => {
      const [fh, fw, ci, co] = c.f;
      const eff: Shape4 = [(fh - 1) * c.d[0] + 1, (fw - 1) * c.d[1] + 1, ci, co];
      const dyShape = outShape(c.x, c.f, c.strides, c.d, c.pad, false);
      const label = `x ${c.x} filter ${c.f} strides ${c.strides} dilations ${c.d} ${describePad(c.pad)}`;
      it(`backprop filter, dilated: ${label}`, async () => {
        // the effective undilated filter gives the same output shape
        expect(outShape(c.x, eff, c.strides, 1, c.pad, false)).to.deep.equal(dyShape);
        await expectSameOnBothBackends(label, (backend) => {
          const x = randomTensor(c.x, 40 + i);
          const dy = randomTensor(dyShape, 50 + i);
          if (backend === 'wasm') {
            return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
              { strides: c.strides, dilations: c.d, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor;
          }
          const full = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: eff }) as tf.Tensor4D;
          return tf.stridedSlice(full, [0, 0, 0, 0], eff, [c.d[0], c.d[1], 1, 1]);
        });
      });
    });
    it('backprop filter accepts NCHW inputs', async () => {
      const x: Shape4 = [2, 7, 6, 3];
      const f: Shape4 = [3, 3, 3, 4];
      const dy = outShape(x, f, 2, 1, 'same', false); // NHWC
      await expectSameOnBothBackends('NCHW', () => tf.engine().runKernel('Conv2DBackpropFilter',
        { x: randomTensor(x, 1).transpose([0, 3, 1, 2]), dy: randomTensor(dy, 2).transpose([0, 3, 1, 2]) },
        { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: f }) as tf.Tensor);
    });
  });

  describe('DepthwiseConv2dNativeBackpropFilter / BackpropInput (new)', () => {
    const cases: Array<{ x: Shape4; f: Shape4; strides: number | [number, number]; pad: Pad }> = [
      { x: [1, 5, 5, 1], f: [3, 3, 1, 1], strides: 1, pad: 'same' },
      { x: [2, 7, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 'valid' },
      { x: [3, 9, 8, 2], f: [3, 2, 2, 3], strides: 2, pad: 'same' },
      { x: [2, 9, 9, 4], f: [3, 3, 4, 1], strides: 2, pad: 'valid' },
      { x: [2, 11, 10, 2], f: [4, 3, 2, 2], strides: [3, 2], pad: 'same' },
      { x: [2, 7, 7, 3], f: [3, 3, 3, 2], strides: 2, pad: explicit(2, 1, 1, 0) },
      { x: [1, 6, 5, 3], f: [1, 1, 3, 4], strides: 1, pad: 'valid' },
    ];
    cases.forEach((c, i) => {
      const label = `x ${c.x} filter ${c.f} strides ${c.strides} ${describePad(c.pad)}`;
      const dyShape = outShape(c.x, c.f, c.strides, 1, c.pad, true);
      it(`backprop filter: ${label}`, async () => {
        await expectSameOnBothBackends(label, () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter',
          { x: randomTensor(c.x, i), dy: randomTensor(dyShape, 100 + i) },
          { strides: c.strides, dilations: 1, pad: c.pad, filterShape: c.f }) as tf.Tensor);
      });
      it(`backprop input: ${label}`, async () => {
        await expectSameOnBothBackends(label, () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput',
          { dy: randomTensor(dyShape, 100 + i), filter: randomTensor(c.f, 200 + i) },
          { strides: c.strides, dilations: 1, pad: c.pad, inputShape: c.x }) as tf.Tensor);
      });
    });

    // The cpu kernels ignore `dilations`, so the reference for a dilated filter of size f is
    // the undilated kernel with the "effective" filter (f - 1) * d + 1, zeros between taps.
    const dilated: Array<{ x: Shape4; f: Shape4; d: [number, number]; pad: Pad }> = [
      { x: [2, 9, 8, 2], f: [3, 3, 2, 2], d: [2, 2], pad: 'same' },
      { x: [2, 9, 9, 3], f: [2, 3, 3, 1], d: [3, 2], pad: 'valid' },
      { x: [1, 8, 7, 2], f: [3, 2, 2, 3], d: [2, 1], pad: explicit(1, 2, 1, 1) },
    ];
    dilated.forEach((c, i) => {
      const [fh, fw, ch, m] = c.f;
      const eff: Shape4 = [(fh - 1) * c.d[0] + 1, (fw - 1) * c.d[1] + 1, ch, m];
      const dyShape = outShape(c.x, c.f, 1, c.d, c.pad, true);
      const label = `x ${c.x} filter ${c.f} dilations ${c.d} ${describePad(c.pad)}`;
      it(`backprop filter, dilated: ${label}`, async () => {
        await expectSameOnBothBackends(label, (backend) => {
          const x = randomTensor(c.x, 10 + i);
          const dy = randomTensor(dyShape, 20 + i);
          if (backend === 'wasm') {
            return tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
              { strides: 1, dilations: c.d, pad: c.pad, filterShape: c.f }) as tf.Tensor;
          }
          const full = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
            { strides: 1, dilations: 1, pad: c.pad, filterShape: eff }) as tf.Tensor4D;
          return tf.stridedSlice(full, [0, 0, 0, 0], eff, [c.d[0], c.d[1], 1, 1]);
        });
      });
      it(`backprop input, dilated: ${label}`, async () => {
        await expectSameOnBothBackends(label, (backend) => {
          const dy = randomTensor(dyShape, 20 + i);
          const f = randomTensor(c.f, 30 + i) as tf.Tensor4D;
          if (backend === 'wasm') {
            return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f },
              { strides: 1, dilations: c.d, pad: c.pad, inputShape: c.x }) as tf.Tensor;
          }
          // zero-stuff the filter: [fh, 1, fw, 1, C, M] padded to [fh, dh, fw, dw, C, M], cut to eff.
          const stuffed = tf.pad(f.reshape([fh, 1, fw, 1, ch, m]),
            [[0, 0], [0, c.d[0] - 1], [0, 0], [0, c.d[1] - 1], [0, 0], [0, 0]])
            .reshape([fh * c.d[0], fw * c.d[1], ch, m])
            .slice([0, 0, 0, 0], eff);
          return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: stuffed },
            { strides: 1, dilations: 1, pad: c.pad, inputShape: c.x }) as tf.Tensor;
        });
      });
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

  describe('GatherV2 (replaced: one copy per slice)', () => {
    const ids = (values: number[], shape?: number[]) => tf.tensor(values, shape ?? [values.length], 'int32');
    const cases: Array<{ label: string; x: number[]; axis: number; indices: () => tf.Tensor; batchDims?: number }> = [
      { label: 'rows of a batch (long slices), repeated and shuffled', x: [9, 40], axis: 0, indices: () => ids([8, 0, 3, 3, 7, 1]) },
      { label: 'rows with short slices', x: [6, 3], axis: 0, indices: () => ids([5, 0, 2]) },
      { label: 'a middle axis', x: [3, 5, 4], axis: 1, indices: () => ids([4, 0, 4, 2]) },
      { label: 'the last axis, negative', x: [2, 3, 7], axis: -1, indices: () => ids([6, 1, 0]) },
      { label: '2-d indices', x: [5, 33], axis: 0, indices: () => ids([1, 4, 0, 2, 2, 3], [2, 3]) },
      { label: 'a scalar index', x: [4, 6], axis: 1, indices: () => tf.scalar(5, 'int32') },
      { label: 'no indices', x: [4, 6], axis: 0, indices: () => ids([]) },
      { label: 'batchDims 1 (the stock kernel)', x: [2, 5, 3], axis: 1, indices: () => ids([4, 0, 1, 1], [2, 2]), batchDims: 1 },
    ];
    cases.forEach((c, i) => {
      it(`${c.label}: x ${c.x}, axis ${c.axis}`, async () => {
        await expectSameOnBothBackends(c.label, () => tf.gather(randomTensor(c.x, 300 + i), c.indices(), c.axis, c.batchDims ?? 0));
      });
    });
    it('gathers int32 and bool values exactly', async () => {
      await expectSameOnBothBackends('int32', () => tf.gather(tf.range(0, 60, 1, 'int32').reshape([12, 5]), ids([11, 0, 5]), 0).toFloat(), 0);
      await expectSameOnBothBackends('bool', () => tf.gather(tf.tensor2d([[1, 0], [0, 0], [1, 1]]).cast('bool'), ids([2, 0]), 0).toFloat(), 0);
    });
    it('refuses an index out of range, as the stock kernel did', () => {
      expect(() => tf.tidy(() => tf.gather(randomTensor([3, 2], 1), ids([0, 3]), 0))).to.throw(/index value 3 is not in \[0, 2\]/);
      expect(() => tf.tidy(() => tf.gather(randomTensor([3, 2], 1), ids([-1]), 0))).to.throw(/index value -1/);
    });
  });

  describe('UnsortedSegmentSum (new; the gradient of gather)', () => {
    it('sums rows into segments, dropping out-of-range ids', async () => {
      await expectSameOnBothBackends('unsortedSegmentSum', () =>
        tf.unsortedSegmentSum(randomTensor([7, 3, 2], 1), tf.tensor1d([0, 2, 2, -1, 4, 0, 9], 'int32'), 5));
    });
    it('gives the gradient of gather', async () => {
      await expectSameOnBothBackends('gather grad', () => {
        const table = randomTensor([6, 4], 2);
        const ids = tf.tensor1d([1, 3, 1, 5, 0, 1], 'int32');
        const w = randomTensor([6, 4], 3);
        return tf.grad((t: tf.Tensor) => tf.gather(t, ids).mul(w).sum())(table);
      });
    });
  });

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

/**
 * The convolution-gradient kernels of @losskit/wasm-training (and the stock Conv2DBackpropInput
 * training relies on next to them) against the tfjs cpu backend: same inputs, compare outputs, max abs difference
 * within 1e-4 of the value scale. (The other kernels: kernels*.test.ts next to this file.)
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import '@losskit/wasm-training';
import { expectSameOnBothBackends, randomTensor, useBackendDuring } from './helpers.js';
import { describePad, explicit, outShape, type Pad, type Shape4 } from './kernel-shapes.js';

describe('@losskit/wasm-training: kernels match the cpu backend', function () {
  this.timeout(60000);
  useBackendDuring('wasm');

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
});

/**
 * GatherV2 and UnsortedSegmentSum (its gradient) of @losskit/wasm-training against the tfjs cpu backend: same inputs, compare outputs, max abs difference
 * within 1e-4 of the value scale. (The other kernels: kernels*.test.ts next to this file.)
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import '@losskit/wasm-training';
import { expectSameOnBothBackends, randomTensor, useBackendDuring } from './helpers.js';

describe('@losskit/wasm-training: kernels match the cpu backend', function () {
  this.timeout(60000);
  useBackendDuring('wasm');

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
});

import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import type { LossPlugin } from '@losskit/core';
import { checkLossPlugin, edgeCasesForRange } from '@losskit/testkit';
import { failingChecks, register, useFixtureRegistry } from './testkit-fixtures.js';

// inputRange: the edge cases for losses whose inputs lie in a range (e.g. images in [0, 1]).
describe('@losskit/testkit', () => {
  useFixtureRegistry();

  describe('inputRange: edge cases for losses whose inputs lie in a range', () => {
    // log(1 + x) - log(1 + y): finite on [0, 1], NaN below -1, so the default edge cases
    // (-1e4) fail it although it is fine on its domain.
    class LogRatio implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.square(tf.sub(tf.log1p(yPred), tf.log1p(yTrue))), -1);
      }
    }
    // 1 / (x - y)^2 is infinite wherever the inputs are identical.
    class InverseDistance implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.div(1, tf.square(tf.sub(yPred, yTrue))), -1);
      }
    }
    let logRatio: string;
    before(() => {
      logRatio = register('log-ratio', LogRatio);
    });

    it('with the default edge cases, a loss defined on [0, 1] fails the finite check', async () => {
      const { ids, text } = await failingChecks({ name: logRatio, valueRange: { yTrue: [0, 1], yPred: [0, 1] } });
      expect(ids, text).to.deep.equal(['finite']);
      expect(text).to.match(/on 'large values apart' \(y_true -10000/);
    });

    it('with inputRange [0, 1] it passes every check: edge cases and random inputs inside the range', async () => {
      const report = await checkLossPlugin({ name: logRatio, inputRange: [0, 1] }, { throwOnFailure: false });
      expect(report.failed.map((r) => `${r.id}: ${r.message}`)).to.deep.equal([]);
    });

    it('edgeCasesForRange covers both ends, each end against the other, and identical random inputs', async () => {
      const cases = edgeCasesForRange([0, 255]);
      const pairs = cases.map((c) => [c.yTrue, c.yPred]);
      expect(pairs).to.deep.include.members([[0, 0], [255, 255], [0, 255], [255, 0], ['random', 'same']]);
      const refused = await checkLossPlugin({ name: logRatio, inputRange: [1, 0] }).then(() => undefined, (error: unknown) => error);
      expect(String(refused)).to.match(/inputRange must be \[low, high\] with low < high/);
    });

    it("catches a loss that is infinite on identical inputs through the 'same' edge case", async () => {
      const name = register('inverse-distance', InverseDistance);
      const { ids, text } = await failingChecks({ name, inputRange: [0, 1], skip: ['gradient', 'reductions', 'determinism', 'shapes', 'serialization', 'memory'] });
      expect(ids, text).to.deep.equal(['finite']);
      expect(text).to.match(/on 'both at the low end'/);
    });
  });
});

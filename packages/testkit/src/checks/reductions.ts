import * as tf from '@tensorflow/tfjs';
import { REDUCTIONS, type Reduction } from '@losskit/core';
import { assertClose, fail, sameShape } from '../failure.js';
import { seededRandom } from '../random.js';
import type { LossCheck } from './check.js';

/**
 * Every reduction, with and without sample weights, against the same reduction computed here
 * in float64 from the per-sample values (Keras 3 semantics, written out independently of core).
 */
export const reductionsCheck: LossCheck = {
  id: 'reductions',
  title: 'reduces consistently with its per-sample values, with and without sample weights',
  async run(context) {
    const { config } = context;
    const shape = [...context.primaryShape];
    const batch = shape[0]!;
    const random = seededRandom(config.seed + 13);
    const sampleWeights = Array.from({ length: batch }, () => 2 * random());
    for (const reduction of REDUCTIONS) {
      const resolved = await context.resolve({ name: config.name, reduction });
      try {
        tf.tidy(() => {
          const { yTrue, yPred } = context.randomInputs(shape, 29);
          const perSample = resolved.perSample(yTrue, yPred);
          const values = Array.from(perSample.dataSync());
          // Comparing NaN with NaN would read "value 0 is NaN, expected NaN (atol NaN)": say why instead.
          const bad = values.findIndex((value) => !Number.isFinite(value));
          if (bad >= 0) {
            const { yTrue: rangeTrue, yPred: rangePred } = config.valueRange;
            fail(
              `per-sample value ${bad} is ${values[bad]} on random inputs (y_true from [${rangeTrue}], y_pred from [${rangePred}]), ` +
                `so the reductions cannot be compared: set valueRange or inputRange to the inputs the loss is defined for.`,
            );
          }
          const trailing = values.length / batch;
          for (const weights of [undefined, sampleWeights]) {
            const weightTensor = weights ? tf.tensor1d(weights) : undefined;
            const actual = resolved.compute(yTrue, yPred, weightTensor);
            const expected = reduceInJs(values, trailing, reduction, weights);
            const where = `reduction '${reduction}' ${weights ? 'with' : 'without'} sample weights`;
            const expectedShape = reduction === 'none' ? perSample.shape : [];
            if (!sameShape(actual.shape, expectedShape)) fail(`${where} returned shape [${actual.shape}], expected [${expectedShape}].`);
            // float32 sums: allow the rounding of a sum of |terms|
            const magnitude = values.reduce((sum, value) => sum + Math.abs(value), 0) * Math.max(1, ...(weights ?? [1]));
            assertClose(actual.dataSync(), expected, { rtol: config.tolerance.rtol, atol: config.tolerance.atol + 1e-6 * magnitude }, where);
          }
          const asTfjs = resolved.asTfjsLoss();
          if (asTfjs.name !== resolved.name) fail(`asTfjsLoss() is named '${asTfjs.name}', expected '${resolved.name}'.`);
          assertClose(asTfjs(yTrue, yPred).dataSync(), resolved.compute(yTrue, yPred).dataSync(), { rtol: 0, atol: 0 }, `asTfjsLoss() with '${reduction}'`);
        });
      } finally {
        resolved.dispose();
      }
    }
  },
};

function reduceInJs(values: number[], trailing: number, reduction: Reduction, weights?: number[]): number[] {
  const weightOf = (i: number) => (weights ? weights[Math.floor(i / trailing)]! : 1);
  const weighted = values.map((value, i) => value * weightOf(i));
  const total = weighted.reduce((sum, value) => sum + value, 0);
  switch (reduction) {
    case 'none':
      return weighted;
    case 'sum':
      return [total];
    case 'sum_over_batch_size':
    case 'mean':
      return [values.length ? total / values.length : 0];
    case 'mean_with_sample_weight': {
      const totalWeight = values.reduce((sum, _value, i) => sum + weightOf(i), 0);
      return [totalWeight ? total / totalWeight : 0];
    }
  }
}

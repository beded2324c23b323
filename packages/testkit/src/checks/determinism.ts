import * as tf from '@tensorflow/tfjs';
import { fail } from '../failure.js';
import type { LossCheck } from './check.js';

export const determinismCheck: LossCheck = {
  id: 'determinism',
  title: 'gives identical values for identical inputs, and leaves its inputs alone',
  async run(context) {
    const { config } = context;
    const first = await context.resolve(config.name);
    const second = await context.resolve(config.name);
    try {
      tf.tidy(() => {
        const { yTrue, yPred } = context.randomInputs(context.primaryShape, 43);
        const trueBefore = Array.from(yTrue.dataSync());
        const predBefore = Array.from(yPred.dataSync());
        const runs = [first, first, second].map((resolved) => Array.from(resolved.perSample(yTrue, yPred).dataSync()));
        if (yTrue.isDisposed || yPred.isDisposed) fail('The loss disposed its inputs; compute() must leave y_true and y_pred alone.');
        if (JSON.stringify(Array.from(yTrue.dataSync())) !== JSON.stringify(trueBefore) || JSON.stringify(Array.from(yPred.dataSync())) !== JSON.stringify(predBefore)) {
          fail('The loss changed the values of its inputs.');
        }
        const [a, b, c] = runs.map((values) => JSON.stringify(values));
        if (a !== b) fail(`Two calls on the same inputs gave different values: ${a} then ${b}.`);
        if (a !== c) fail(`Two resolutions of the same spec gave different values: ${a} and ${c}.`);
      });
    } finally {
      first.dispose();
      second.dispose();
    }
  },
};

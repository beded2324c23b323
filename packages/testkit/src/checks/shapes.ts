import * as tf from '@tensorflow/tfjs';
import { assertClose, fail, sameShape } from '../failure.js';
import { specOptions } from '../context.js';
import type { LossCheck } from './check.js';

export const shapesCheck: LossCheck = {
  id: 'shapes',
  title: 'returns per-sample values of the expected shape (and matches the reference)',
  async run(context) {
    const { config } = context;
    for (const options of context.optionSets()) {
      const resolved = await context.resolve({ name: config.name, options });
      try {
        config.inputs.forEach((shape, salt) => {
          tf.tidy(() => {
            const { yTrue, yPred } = context.randomInputs(shape, salt);
            const values = resolved.perSample(yTrue, yPred);
            const expected = config.perSampleShape(shape);
            const where = `for inputs of shape [${shape}] with ${context.describeOptions(options)}`;
            if (!sameShape(values.shape, expected)) {
              fail(`Per-sample values have shape [${values.shape}] ${where}; expected [${expected}] (one value per sample, batch first).`);
            }
            const reduced = resolved.compute(yTrue, yPred);
            if (reduced.rank !== 0) fail(`The default reduction returned shape [${reduced.shape}] ${where}; expected a scalar.`);
            if (config.reference) {
              const reference = config.reference(yTrue, yPred, specOptions(resolved.spec));
              if (!sameShape(reference.shape, values.shape)) {
                fail(`The reference returned shape [${reference.shape}] but the plugin [${values.shape}] ${where}.`);
              }
              assertClose(values.dataSync(), reference.dataSync(), config.tolerance, `Per-sample values against the reference ${where}`);
            }
          });
        });
      } finally {
        resolved.dispose();
      }
    }
  },
};

import * as tf from '@tensorflow/tfjs';
import { assertClose, fail } from '../failure.js';
import { specOptions } from '../context.js';
import type { LossCheck } from './check.js';

export const finiteCheck: LossCheck = {
  id: 'finite',
  title: 'stays finite, with a finite gradient, on edge inputs (zeros, large values, or the ends of inputRange)',
  async run(context) {
    const { config } = context;
    const shape = [...context.primaryShape];
    for (const options of context.optionSets()) {
      const resolved = await context.resolve({ name: config.name, options });
      try {
        for (const edge of config.edgeCases) {
          tf.tidy(() => {
            const random = context.randomInputs(shape, 53);
            const yTrue = edge.yTrue === 'random' ? random.yTrue : tf.fill(shape, edge.yTrue, 'float32');
            const yPred =
              edge.yPred === 'same' ? tf.clone(yTrue) : edge.yPred === 'random' ? random.yPred : tf.fill(shape, edge.yPred, 'float32');
            const where = `on '${edge.label}' (y_true ${edge.yTrue}, y_pred ${edge.yPred}) with ${context.describeOptions(options)}`;
            const values = resolved.perSample(yTrue, yPred);
            const firstBad = values.dataSync().findIndex((value) => !Number.isFinite(value));
            if (firstBad >= 0) fail(`Per-sample value ${firstBad} is ${values.dataSync()[firstBad]} ${where}.`);
            const gradient = tf.grad((prediction: tf.Tensor) => tf.sum(resolved.perSample(yTrue, prediction)))(yPred);
            const badGradient = gradient.dataSync().findIndex((value) => !Number.isFinite(value));
            if (badGradient >= 0) fail(`Gradient element ${badGradient} is ${gradient.dataSync()[badGradient]} ${where}.`);
            if (config.reference) {
              assertClose(values.dataSync(), config.reference(yTrue, yPred, specOptions(resolved.spec)).dataSync(), config.tolerance, `Per-sample values against the reference ${where}`);
            }
          });
        }
      } finally {
        resolved.dispose();
      }
    }
  },
};

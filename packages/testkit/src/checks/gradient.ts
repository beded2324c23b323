import * as tf from '@tensorflow/tfjs';
import type { ResolvedLoss } from '@losskit/core';
import type { CheckContext } from '../context.js';
import { fail } from '../failure.js';
import { seededRandom, sizeOf } from '../random.js';
import type { LossCheck } from './check.js';

/**
 * The gradient w.r.t. y_pred that tfjs computes (autodiff or the plugin's customGrad) against
 * central finite differences of the per-sample values.
 *
 * The objective is sum_s w_s * L_s with random per-sample weights w, so a gradient routed to
 * the wrong sample is caught too. Float32 makes naive finite differences useless, so:
 * - the difference is taken per sample and accumulated in float64: moving one element of y_pred
 *   changes one sample's loss, the others' differences are exactly zero, and the large total is
 *   never subtracted from itself (no catastrophic cancellation);
 * - the step actually taken is the difference of the float32-rounded perturbed inputs;
 * - an element is compared only where the function is smooth around it: a difference with half
 *   the step must agree, otherwise the element sits at a kink (|x| at 0, Huber at delta) where
 *   no finite difference is meaningful, and it is skipped. A wrong gradient leaves the forward
 *   function smooth, so it is never skipped for that reason.
 */
export const gradientCheck: LossCheck = {
  id: 'gradient',
  title: 'has a gradient w.r.t. y_pred that matches central finite differences',
  async run(context) {
    for (const options of context.optionSets()) {
      const resolved = await context.resolve({ name: context.config.name, options });
      try {
        checkGradient(context, resolved, context.describeOptions(options));
      } finally {
        resolved.dispose();
      }
    }
  },
};

function checkGradient(context: CheckContext, resolved: ResolvedLoss, optionsLabel: string): void {
  const { gradient: tolerance } = context.config;
  const shape = [...context.primaryShape];
  const { yTrue, yPred } = context.randomInputs(shape, 101);
  try {
    const base = yPred.dataSync() as Float32Array;
    const perSampleOf = (prediction: Float32Array): Float32Array =>
      tf.tidy(() => resolved.perSample(yTrue, tf.tensor(prediction, shape, 'float32')).dataSync() as Float32Array);

    const perSampleShape = tf.tidy(() => resolved.perSample(yTrue, yPred).shape);
    const random = seededRandom(context.config.seed + 7);
    const weights = Float32Array.from({ length: sizeOf(perSampleShape) }, () => 0.5 + random());
    const analytic = tf.tidy(() => {
      const w = tf.tensor(weights, perSampleShape, 'float32');
      return tf.grad((prediction: tf.Tensor) => tf.sum(tf.mul(resolved.perSample(yTrue, prediction), w)))(yPred).dataSync();
    });

    const weightedDifference = (index: number, step: number): number => {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[index] = Math.fround(base[index]! + step);
      minus[index] = Math.fround(base[index]! - step);
      const up = perSampleOf(plus);
      const down = perSampleOf(minus);
      let total = 0;
      for (let s = 0; s < up.length; s++) total += weights[s]! * (up[s]! - down[s]!);
      return total / (plus[index]! - minus[index]!);
    };

    const scale = Math.max(...Array.from(analytic, Math.abs), 1e-12);
    const allowed = (reference: number) => tolerance.atol + tolerance.rtol * Math.max(Math.abs(reference), 1e-3 * scale);
    let compared = 0;
    const skipped: number[] = [];
    const elements = elementsToCompare(base.length, tolerance.maxElements);
    for (const i of elements) {
      const step = tolerance.step * Math.max(1, Math.abs(base[i]!));
      const numeric = weightedDifference(i, step);
      const finer = weightedDifference(i, step / 2);
      if (Math.abs(numeric - finer) > allowed(finer)) {
        skipped.push(i);
        continue;
      }
      compared++;
      if (Math.abs(analytic[i]! - numeric) > allowed(numeric)) {
        fail(
          `Gradient w.r.t. y_pred element ${i} (y_pred ${base[i]}, y_true ${yTrue.dataSync()[i]}) is ${analytic[i]}, ` +
            `but central finite differences give ${numeric} (step ${step}) with ${optionsLabel}. ` +
            `If the plugin defines its own gradient (tf.customGrad), it is wrong.`,
        );
      }
    }
    if (compared < Math.ceil(elements.length / 2)) {
      fail(
        `Only ${compared} of ${elements.length} elements were smooth enough to compare (skipped ${skipped.join(', ')}) with ` +
          `${optionsLabel}; choose a valueRange away from the loss's kinks or a smaller gradient.step.`,
      );
    }
  } finally {
    tf.dispose([yTrue, yPred]);
  }
}

/** Every index, or `limit` evenly spaced ones. */
function elementsToCompare(count: number, limit: number): number[] {
  if (count <= limit) return Array.from({ length: count }, (_, i) => i);
  const chosen = new Set<number>();
  for (let k = 0; k < limit; k++) chosen.add(Math.floor(((k + 0.5) * count) / limit));
  return [...chosen];
}

import * as tf from '@tensorflow/tfjs';
import { errorMessage, fail } from '../failure.js';
import type { CheckContext } from '../context.js';
import type { LossCheck } from './check.js';

/**
 * tf.memory().numTensors must come back to where it was after a resolve/compute/gradient/
 * dispose cycle, and after a call that throws. One cycle runs first, unmeasured, so shared
 * dependencies a plugin creates lazily (a feature network in a DI singleton) are not counted.
 */
export const memoryCheck: LossCheck = {
  id: 'memory',
  title: 'leaks no tensor, on success and when it throws',
  async run(context) {
    await cycle(context);
    const before = tf.memory().numTensors;
    await cycle(context);
    const afterSuccess = tf.memory().numTensors;
    if (afterSuccess !== before) {
      fail(`${afterSuccess - before} tensor(s) leaked by one resolve, compute, gradient and dispose cycle.`);
    }
    await throwingCall(context);
    const afterThrow = tf.memory().numTensors;
    if (afterThrow !== before) {
      fail(`${afterThrow - before} tensor(s) leaked when the loss threw on mismatched shapes.`);
    }
  },
};

async function cycle(context: CheckContext): Promise<void> {
  const resolved = await context.resolve(context.config.name);
  try {
    const { yTrue, yPred } = context.randomInputs(context.primaryShape, 57);
    const weights = tf.ones([context.primaryShape[0]!]);
    const outputs = [
      resolved.perSample(yTrue, yPred),
      resolved.compute(yTrue, yPred),
      resolved.compute(yTrue, yPred, weights),
      tf.grad((prediction: tf.Tensor) => resolved.compute(yTrue, prediction))(yPred),
    ];
    tf.dispose([yTrue, yPred, weights, ...outputs]);
  } finally {
    resolved.dispose();
  }
}

async function throwingCall(context: CheckContext): Promise<void> {
  const [trueShape, predShape] = context.config.mismatchedShapes;
  const resolved = await context.resolve(context.config.name);
  const yTrue = tf.zeros([...trueShape]);
  const yPred = tf.zeros([...predShape]);
  try {
    for (const call of [() => resolved.perSample(yTrue, yPred), () => resolved.compute(yTrue, yPred)]) {
      let result: tf.Tensor | undefined;
      try {
        result = call();
      } catch (error) {
        if (!(error instanceof Error)) fail(`The loss threw a non-Error (${errorMessage(error)}) on mismatched shapes.`);
        continue;
      }
      tf.dispose(result);
      fail(
        `The loss accepted y_true [${trueShape}] with y_pred [${predShape}] instead of throwing; refuse mismatched ` +
          `shapes (validateShapes) or set mismatchedShapes to shapes it must refuse.`,
      );
    }
  } finally {
    tf.dispose([yTrue, yPred]);
    resolved.dispose();
  }
}

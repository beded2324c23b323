import type * as tf from '@tensorflow/tfjs';
import { OptimizerOptionsError } from './errors.js';

// TF.js optimizers keep their learning rate in a `learningRate` field that `applyGradients`
// reads at each call (SGD and momentum also cache -lr in a scalar, refreshed by
// setLearningRate). There is no public setter for the others, so this module is the one place
// that writes the field, and it checks that the field is there first.

type WithLearningRate = { learningRate: number };

function hasLearningRate(optimizer: tf.Optimizer): optimizer is tf.Optimizer & WithLearningRate {
  return typeof (optimizer as unknown as Partial<WithLearningRate>).learningRate === 'number';
}

export function readLearningRate(optimizer: tf.Optimizer): number {
  if (!hasLearningRate(optimizer)) {
    throw new OptimizerOptionsError(
      `The ${optimizer.getClassName()} optimizer has no numeric learningRate field, so losskit cannot read or schedule its learning rate; ` +
        `use one of TF.js's optimizers (sgd, momentum, adam, adamax, rmsprop, adagrad, adadelta).`,
    );
  }
  return optimizer.learningRate;
}

export function writeLearningRate(optimizer: tf.Optimizer, lr: number): void {
  readLearningRate(optimizer);
  // Not `instanceof tf.SGDOptimizer`: tf.Optimizer's instanceof is duck-typed and says yes to every optimizer.
  const sgdLike = optimizer as unknown as { setLearningRate?: (lr: number) => void };
  if (typeof sgdLike.setLearningRate === 'function') sgdLike.setLearningRate(lr);
  else (optimizer as unknown as WithLearningRate).learningRate = lr;
}

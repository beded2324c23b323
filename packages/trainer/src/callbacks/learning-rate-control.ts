import type * as tf from '@tensorflow/tfjs';
import { readLearningRate, writeLearningRate } from '../optim/learning-rate-access.js';
import { TRAINING_OPTIMIZER_CLASS } from '../optim/class-name.js';
import type { TrainingOptimizer } from '../optim/training-optimizer.js';

/** The learning rate of the next update, for any optimizer the trainer accepts. */
export function currentLearningRate(optimizer: tf.Optimizer): number {
  return isTrainingOptimizer(optimizer) ? optimizer.learningRate : readLearningRate(optimizer);
}

/** Sets a constant learning rate; a TrainingOptimizer that follows a schedule refuses, as Keras does. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (isTrainingOptimizer(optimizer)) optimizer.learningRate = lr;
  else writeLearningRate(optimizer, lr);
}

// tf.Optimizer's instanceof is duck-typed (Symbol.hasInstance), so compare class names.
export function isTrainingOptimizer(optimizer: tf.Optimizer): optimizer is TrainingOptimizer {
  return optimizer.getClassName() === TRAINING_OPTIMIZER_CLASS;
}

export function trainingOptimizer(optimizer: tf.Optimizer): TrainingOptimizer | undefined {
  return isTrainingOptimizer(optimizer) ? optimizer : undefined;
}

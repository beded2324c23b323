import * as tf from '@tensorflow/tfjs';
import { isTrainingOptimizer } from '../callbacks/learning-rate-control.js';
import { readLearningRate, writeLearningRate } from './learning-rate-access.js';

// tf.Optimizer counts its updates in this protected field (getWeights saves it as `iter`).
type CountingOptimizer = { iterations_?: number };

/**
 * What an optimizer's update changes in JavaScript rather than in variables: TF.js's
 * `iterations` on the optimizer (and on a TrainingOptimizer's inner one), and a
 * TrainingOptimizer's batch step (which its schedule and accumulation read) and the rate it
 * last wrote into the inner optimizer. Returns a function that puts them back; with the
 * variables restored too (fit/variable-snapshot.ts), the optimizer is as it was.
 */
export function captureOptimizerCounters(optimizer: tf.Optimizer): () => void {
  const counted = (isTrainingOptimizer(optimizer) ? [optimizer, optimizer.inner] : [optimizer]) as unknown as CountingOptimizer[];
  const iterations = counted.map((o) => o.iterations_);
  const training = isTrainingOptimizer(optimizer) ? { step: optimizer.iterations, innerRate: readLearningRate(optimizer.inner) } : undefined;
  return () => {
    counted.forEach((o, i) => (o.iterations_ = iterations[i]));
    if (training && isTrainingOptimizer(optimizer)) {
      optimizer.rewindTo(training.step);
      if (readLearningRate(optimizer.inner) !== training.innerRate) writeLearningRate(optimizer.inner, training.innerRate);
    }
  };
}

/**
 * Batches after which an optimizer has made all of its state (slot variables): TF.js optimizers
 * make it on their first update, a TrainingOptimizer that accumulates k batches on the k-th.
 */
export function batchesUntilStateExists(optimizer: tf.Optimizer): number {
  return isTrainingOptimizer(optimizer) ? (optimizer.gradientOptions.gradientAccumulationSteps ?? 1) : 1;
}

// TF.js's own optimizers keep everything but `iterations` and the learning rate in variables.
const BUILT_IN_PROTOTYPES: readonly object[] = [
  tf.SGDOptimizer,
  tf.MomentumOptimizer,
  tf.AdamOptimizer,
  tf.AdamaxOptimizer,
  tf.AdagradOptimizer,
  tf.AdadeltaOptimizer,
  tf.RMSPropOptimizer,
].map((cls) => cls.prototype);

/**
 * Whether captureOptimizerCounters captures all the state an optimizer keeps outside variables:
 * true for TF.js's own optimizer classes (not subclasses, which may add fields) and a
 * TrainingOptimizer around one. Another optimizer's updates cannot be undone exactly, so the
 * trainer reads each batch before its update there.
 */
export function optimizerStateIsKnown(optimizer: tf.Optimizer): boolean {
  const inner = isTrainingOptimizer(optimizer) ? optimizer.inner : optimizer;
  return BUILT_IN_PROTOTYPES.includes(Object.getPrototypeOf(inner) as object);
}

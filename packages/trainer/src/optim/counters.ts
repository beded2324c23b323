import type * as tf from '@tensorflow/tfjs';
import { isTrainingOptimizer } from '../callbacks/learning-rate-control.js';

// tf.Optimizer counts its updates in this protected field (getWeights saves it as `iter`).
type CountingOptimizer = { iterations_?: number };

/**
 * The update counts an optimizer keeps in JavaScript rather than in variables: TF.js's
 * `iterations` on the optimizer (and on a TrainingOptimizer's inner one) and a TrainingOptimizer's
 * batch step, which its schedule and accumulation read. Returns a function that puts them back;
 * with the variables restored too (fit/variable-snapshot.ts), the optimizer is as it was.
 */
export function captureOptimizerCounters(optimizer: tf.Optimizer): () => void {
  const counted = (isTrainingOptimizer(optimizer) ? [optimizer, optimizer.inner] : [optimizer]) as unknown as CountingOptimizer[];
  const iterations = counted.map((o) => o.iterations_);
  const step = isTrainingOptimizer(optimizer) ? optimizer.iterations : undefined;
  return () => {
    counted.forEach((o, i) => (o.iterations_ = iterations[i]));
    if (step !== undefined && isTrainingOptimizer(optimizer)) optimizer.rewindTo(step);
  };
}

/**
 * Batches after which an optimizer has made all of its state (slot variables): TF.js optimizers
 * make it on their first update, a TrainingOptimizer that accumulates k batches on the k-th.
 */
export function batchesUntilStateExists(optimizer: tf.Optimizer): number {
  return isTrainingOptimizer(optimizer) ? (optimizer.gradientOptions.gradientAccumulationSteps ?? 1) : 1;
}

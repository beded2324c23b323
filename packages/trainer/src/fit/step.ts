import * as tf from '@tensorflow/tfjs';
import { releaseGradientTape } from '../tfjs-internals.js';
import type { CompiledLoss } from './compiled-loss.js';
import type { CompiledMetrics } from './compiled-metrics.js';
import type { Batch } from './data.js';

/** What a step needs: the model, its compiled loss and metrics. */
export interface StepPlan {
  model: tf.LayersModel;
  loss: CompiledLoss;
  metrics: CompiledMetrics;
}

export interface StepResult {
  /** The loss values of the batch, in `plan.loss.keys` order. */
  values: Float32Array;
  /** Whether the gradients were applied (false when a loss value was not finite). */
  applied: boolean;
}

function predict(model: tf.LayersModel, batch: Batch, training: boolean): tf.Tensor[] {
  const input = batch.xs.length === 1 ? batch.xs[0]! : batch.xs;
  const outputs = model.apply(input, { training }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(outputs) ? outputs : [outputs];
}

/**
 * One training step. Gradients and metric updates are applied only if every loss value is
 * finite, so a NaN batch never reaches the weights or the epoch's metrics.
 */
export function trainStep(plan: StepPlan, optimizer: tf.Optimizer, variables: tf.Variable[], batch: Batch): StepResult {
  let logged: tf.Scalar[] = [];
  let preds: tf.Tensor[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  let row: tf.Tensor | undefined;
  try {
    try {
      result = optimizer.computeGradients(() => {
        const outputs = predict(plan.model, batch, true);
        const { total, logged: values } = plan.loss.compute(plan.model, batch.ys, outputs, batch.weights, true);
        // Kept past computeGradients' own scope and used after it, off the gradient tape:
        // stacking on the tape inside an outer tidy cost about 4% of a small model's step.
        logged = values.map((value) => tf.keep(value));
        if (plan.metrics.metrics.length) preds = outputs.map((p) => tf.keep(p));
        return total;
      }, variables);
    } catch (error) {
      releaseGradientTape();
      throw error;
    }
    row = logged.length ? tf.stack([result.value, ...logged]) : result.value;
    const values = row.dataSync() as Float32Array;
    let finite = true;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) finite = false;
    if (finite) {
      optimizer.applyGradients(result.grads);
      if (preds.length) plan.metrics.update(batch.ys, preds);
    }
    return { values, applied: finite };
  } finally {
    // `logged` may hold the total itself (one output, weight 1); disposing twice is harmless.
    tf.dispose(logged);
    tf.dispose(preds);
    if (row && row !== result?.value) row.dispose();
    if (result) tf.dispose([result.value, ...Object.values(result.grads)]);
  }
}

/** Loss values of one batch in inference mode (evaluation), metrics updated. */
export function evalStep(plan: StepPlan, batch: Batch): Float32Array {
  const row = tf.tidy(() => {
    const preds = predict(plan.model, batch, false);
    const { total, logged } = plan.loss.compute(plan.model, batch.ys, preds, batch.weights, false);
    plan.metrics.update(batch.ys, preds);
    return logged.length ? tf.stack([total, ...logged]) : total;
  });
  try {
    return row.dataSync() as Float32Array;
  } finally {
    row.dispose();
  }
}

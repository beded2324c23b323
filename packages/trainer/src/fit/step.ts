import * as tf from '@tensorflow/tfjs';
import type { Batch } from './data.js';
import { batchMean, type OutputLoss } from './losses.js';
import type { OutputMetric } from './metrics.js';

/** What one step computes, in the order of `logKeys`: total loss, each loss term (and a sum's terms), each metric. */
export interface StepPlan {
  model: tf.LayersModel;
  losses: readonly OutputLoss[];
  metrics: readonly OutputMetric[];
}

export function logKeys(plan: StepPlan): string[] {
  return ['loss', ...lossTermKeys(plan), ...plan.metrics.map((m) => m.key)];
}

/** Keys of the loss values after the total: each output's loss, followed by its sum's terms. */
export function lossTermKeys(plan: StepPlan): string[] {
  return plan.losses.flatMap((l) => [l.key, ...l.partKeys]);
}

/**
 * Forward pass, losses and metrics of one batch: the total, and the values logged after it
 * (loss terms, a sum's terms, metrics) in `logKeys` order. Callers stack [total, ...logged] so
 * they read everything with one data transfer.
 */
function forward(plan: StepPlan, batch: Batch, training: boolean): { total: tf.Scalar; logged: tf.Scalar[] } {
  const input = batch.xs.length === 1 ? batch.xs[0]! : batch.xs;
  const outputs = plan.model.apply(input, { training }) as tf.Tensor | tf.Tensor[];
  const preds = Array.isArray(outputs) ? outputs : [outputs];
  const computed = plan.losses.map(({ outputIndex, loss, computeWithParts }) => {
    const yTrue = batch.ys[outputIndex]!;
    const yPred = preds[outputIndex]!;
    const sampleWeight = batch.weights[outputIndex];
    if (computeWithParts) return computeWithParts(yTrue, yPred, sampleWeight);
    return { value: loss.compute(yTrue, yPred, sampleWeight), parts: [] };
  });
  const terms = computed.map(({ value }) => batchMean(value));
  // A sum's terms are for the log only: off the gradient path, so backprop skips them.
  const logged = computed.flatMap(({ parts }, i) => [terms[i]!, ...parts]);
  const weighted = terms.map((term, i) => (plan.losses[i]!.weight === 1 ? term : (tf.mul(term, plan.losses[i]!.weight) as tf.Scalar)));
  // One output with weight 1 (the common case) needs no extra kernel for the total.
  let total = weighted.length === 1 ? weighted[0]! : (tf.addN(weighted) as tf.Scalar);
  if (training) {
    // Kernel/activity regularizers, as model.fit adds them.
    for (const penalty of plan.model.calculateLosses()) total = tf.add(total, penalty);
  }
  const metrics = plan.metrics.map((m) => m.compute(batch.ys[m.outputIndex]!, preds[m.outputIndex]!));
  return { total, logged: [...logged, ...metrics] };
}

export interface StepResult {
  values: Float32Array;
  /** Whether the gradients were applied (false when a loss was not finite). */
  applied: boolean;
}

/**
 * One training step. Gradients are applied only if every loss value is finite, so a NaN
 * batch never reaches the weights.
 */
export function trainStep(plan: StepPlan, optimizer: tf.Optimizer, variables: tf.Variable[], batch: Batch): StepResult {
  let logged: tf.Scalar[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  let row: tf.Tensor | undefined;
  try {
    try {
      result = optimizer.computeGradients(() => {
        const out = forward(plan, batch, true);
        // Kept past computeGradients' own scope and stacked after it, off the gradient tape:
        // stacking on the tape inside an outer tidy cost about 4% of a small model's step.
        logged = out.logged.map((value) => tf.keep(value));
        return out.total;
      }, variables);
    } catch (error) {
      releaseGradientTape();
      throw error;
    }
    row = tf.stack([result.value, ...logged]);
    const values = row.dataSync() as Float32Array;
    // The row is [total, ...loss terms, ...metrics]; only the losses decide.
    const lossCount = values.length - plan.metrics.length;
    let finite = true;
    for (let i = 0; i < lossCount; i++) if (!Number.isFinite(values[i]!)) finite = false;
    if (finite) optimizer.applyGradients(result.grads);
    return { values, applied: finite };
  } finally {
    // `logged` may hold the total itself (one output, weight 1); disposing twice is harmless.
    tf.dispose(logged);
    if (row) row.dispose();
    if (result) tf.dispose([result.value, ...Object.values(result.grads)]);
  }
}

/** Losses and metrics of one batch in inference mode (validation). */
export function evalStep(plan: StepPlan, batch: Batch): Float32Array {
  const row = tf.tidy(() => {
    const { total, logged } = forward(plan, batch, false);
    return tf.stack([total, ...logged]);
  });
  try {
    return row.dataSync() as Float32Array;
  } finally {
    row.dispose();
  }
}

/**
 * TF.js keeps a clone of every tensor a kernel saves for backprop and frees them only when
 * the gradient pass completes; when the forward pass throws (a loss that fails), those clones
 * stay on the engine's tape forever. Free them, once no gradient computation is running.
 */
function releaseGradientTape(): void {
  const state = tf.engine().state as unknown as { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) if (node.saved) tf.dispose(node.saved);
  state.activeTape = [];
}

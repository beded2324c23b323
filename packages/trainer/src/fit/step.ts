import * as tf from '@tensorflow/tfjs';
import { releaseGradientTape } from '../tfjs-internals.js';
import type { CompiledLoss } from './compiled-loss.js';
import type { CompiledMetrics } from './compiled-metrics.js';
import type { Batch } from './data.js';
import { VariableSnapshot } from './variable-snapshot.js';

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

/** A step computed up to its loss values: gradients not applied yet, values not read yet. */
export interface PendingStep {
  result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  logged: tf.Scalar[];
  preds: tf.Tensor[];
  /**
   * The model's non-trainable weights as they were before the forward pass changed them
   * (BatchNormalization's moving statistics): put back when the batch does not count.
   */
  nonTrainableBefore: VariableSnapshot | undefined;
}

/**
 * The synchronous half of a training step: forward pass, losses, gradients. It draws every
 * random number of the step (Dropout & co.), so it is what runs under a seeded Math.random.
 */
export function computeStep(plan: StepPlan, optimizer: tf.Optimizer, variables: tf.Variable[], batch: Batch): PendingStep {
  let logged: tf.Scalar[] = [];
  let preds: tf.Tensor[] = [];
  let result: PendingStep['result'];
  const nonTrainable = plan.model.nonTrainableWeights;
  const nonTrainableBefore = nonTrainable.length ? new VariableSnapshot(nonTrainable.map((w) => w.read() as tf.Variable)) : undefined;
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
    tf.dispose([...logged, ...preds]);
    // A batch that fails leaves nothing behind either (the forward pass may have moved statistics).
    nonTrainableBefore?.restore();
    nonTrainableBefore?.dispose();
    throw error;
  }
  return { result, logged, preds, nonTrainableBefore };
}

/**
 * The rest of the step once its values are read: gradients and metric updates are applied
 * only if every loss value is finite, so a NaN batch never reaches the weights or the metrics
 * (nor the moving statistics its forward pass updated, which are put back). Frees everything
 * the step holds.
 */
export function finishStep(plan: StepPlan, optimizer: tf.Optimizer, batch: Batch, step: PendingStep, values: Float32Array): StepResult {
  try {
    let finite = true;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) finite = false;
    if (finite) {
      try {
        optimizer.applyGradients(step.result.grads);
      } catch (error) {
        step.nonTrainableBefore?.restore();
        throw error;
      }
      if (step.preds.length) plan.metrics.update(batch.ys, step.preds);
    } else {
      step.nonTrainableBefore?.restore();
    }
    return { values, applied: finite };
  } finally {
    releaseStep(step);
  }
}

export function releaseStep(step: PendingStep): void {
  // `logged` may hold the total itself (one output, weight 1); disposing twice is harmless.
  tf.dispose([...step.logged, ...step.preds, step.result.value, ...Object.values(step.result.grads)]);
  step.nonTrainableBefore?.dispose();
}

/** One training step, its values read synchronously (cpu, wasm, tfjs-node: the work is done by then). */
export function trainStep(plan: StepPlan, optimizer: tf.Optimizer, variables: tf.Variable[], batch: Batch): StepResult {
  const step = computeStep(plan, optimizer, variables, batch);
  let values: Float32Array;
  try {
    // One read per scalar: on these backends a read is a copy of four bytes, while stacking
    // the scalars first (one read) costs a Pack kernel that took ~5% of a small model's step.
    values = new Float32Array(1 + step.logged.length);
    values[0] = step.result.value.dataSync()[0]!;
    for (let i = 0; i < step.logged.length; i++) values[i + 1] = step.logged[i]!.dataSync()[0]!;
  } catch (error) {
    releaseStep(step);
    throw error;
  }
  return finishStep(plan, optimizer, batch, step, values);
}

/** The step's values read with `await data()`, then finished (for backends with asynchronous reads). */
export async function readAndFinishStep(plan: StepPlan, optimizer: tf.Optimizer, batch: Batch, step: PendingStep): Promise<StepResult> {
  let values: Float32Array;
  // One asynchronous read of all the values: each read waits for the device.
  const row = step.logged.length ? tf.stack([step.result.value, ...step.logged]) : step.result.value;
  try {
    values = (await row.data()) as Float32Array;
  } catch (error) {
    releaseStep(step);
    throw error;
  } finally {
    if (row !== step.result.value) row.dispose();
  }
  return finishStep(plan, optimizer, batch, step, values);
}

/**
 * Backends whose reads are synchronous at no cost: the step's kernels have run when it returns.
 * Elsewhere (webgl, webgpu: where a sync read stalls the GPU pipeline, or returns zeros) the
 * values are read with `await data()`.
 */
const SYNC_READ_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

export function readsSynchronously(backendName: string): boolean {
  return SYNC_READ_BACKENDS.has(backendName);
}

/** Loss values of one batch in inference mode (evaluation), metrics updated; the caller reads and frees the row. */
export function evalStep(plan: StepPlan, batch: Batch): tf.Tensor {
  return tf.tidy(() => {
    const preds = predict(plan.model, batch, false);
    const { total, logged } = plan.loss.compute(plan.model, batch.ys, preds, batch.weights, false);
    plan.metrics.update(batch.ys, preds);
    return logged.length ? tf.stack([total, ...logged]) : total;
  });
}

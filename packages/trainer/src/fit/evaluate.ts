import * as tf from '@tensorflow/tfjs';
import type { Logs } from './callbacks.js';
import { disposeBatch } from './data.js';
import type { BatchSource } from './sources.js';
import { MAX_WINDOW } from './lagged-steps.js';
import { readRowsPadded } from './read-rows.js';
import { evalStep, readsSynchronously, type StepPlan } from './step.js';

/**
 * Losses and metrics over a whole source in inference mode, keyed as a training epoch is
 * (with `prefix`, e.g. 'val_'): losses averaged over samples, metrics from their state.
 */
export async function evaluateSource(plan: StepPlan, source: BatchSource, batchSize: number, prefix: string, maybeYield: () => Promise<void> | undefined): Promise<Logs> {
  const keys = plan.loss.keys;
  const sums = new Float64Array(keys.length);
  let samples = 0;
  plan.metrics.reset();
  const sync = readsSynchronously(tf.getBackend());
  const add = (values: ArrayLike<number>, size: number) => {
    for (let k = 0; k < keys.length; k++) sums[k]! += values[k]! * size;
    samples += size;
  };
  // webgl/webgpu: the rows stay on the device and are read MAX_WINDOW at a time (one wait for
  // the GPU per window, not per batch); the sums are the same float64 sums either way.
  const pending: Array<{ row: tf.Tensor; size: number }> = [];
  const readPending = async () => {
    const rows = await readRowsPadded(pending.map(({ row }) => row), MAX_WINDOW);
    pending.forEach(({ size }, i) => add(rows[i]!, size));
    tf.dispose(pending.splice(0).map(({ row }) => row));
  };
  try {
    for await (const batch of source.batches(0, batchSize, undefined)) {
      try {
        const row = evalStep(plan, batch);
        if (sync) {
          try {
            add(row.dataSync(), batch.size);
          } finally {
            row.dispose();
          }
        } else {
          pending.push({ row, size: batch.size });
        }
      } finally {
        disposeBatch(batch);
      }
      if (pending.length >= MAX_WINDOW) await readPending();
      await maybeYield();
    }
    if (pending.length) await readPending();
  } finally {
    tf.dispose(pending.map(({ row }) => row));
  }
  const logs: Logs = {};
  keys.forEach((key, k) => (logs[`${prefix}${key}`] = sums[k]! / samples));
  (await plan.metrics.read()).forEach((value, m) => (logs[`${prefix}${plan.metrics.keys[m]}`] = value));
  plan.metrics.reset();
  return logs;
}

/** The model's outputs for `xs`, batch by batch in inference mode, concatenated. */
export async function predictBatches(model: tf.LayersModel, source: BatchSource, batchSize: number, maybeYield: () => Promise<void> | undefined): Promise<tf.Tensor[]> {
  const parts: tf.Tensor[][] = model.outputNames.map(() => []);
  try {
    for await (const batch of source.batches(0, batchSize, undefined)) {
      try {
        const input = batch.xs.length === 1 ? batch.xs[0]! : batch.xs;
        const out = tf.tidy(() => model.apply(input, { training: false }) as tf.Tensor | tf.Tensor[]);
        (Array.isArray(out) ? out : [out]).forEach((t, i) => parts[i]!.push(t));
      } finally {
        disposeBatch(batch);
      }
      await maybeYield();
    }
    return parts.map((list) => (list.length === 1 ? list[0]!.clone() : tf.concat(list, 0)));
  } finally {
    tf.dispose(parts.flat());
  }
}

import * as tf from '@tensorflow/tfjs';
import { batchesUntilStateExists, captureOptimizerCounters } from '../optim/counters.js';
import { LossKitError } from '@losskit/core';
import { disposeBatch, type Batch } from './data.js';
import { computeStep, readAndFinishStep, type StepPlan, type StepResult } from './step.js';
import { registeredVariableCount, VariableSnapshot } from './variable-snapshot.js';

/**
 * Training steps on backends whose reads are asynchronous (webgl, webgpu), with the NaN guard
 * reading a window of batches at once instead of making one round trip per batch.
 *
 * The guard's promise is that a batch whose loss is not finite changes nothing: not the
 * weights, not the optimizer, not the metrics. Awaiting each batch's loss before applying its
 * update keeps that promise but stalls the device once per batch: on webgl Trainer.fit ran at
 * 0.60x of model.fit, which never reads. Here each batch's update is applied at once and the
 * losses of a window of batches are read together. If one turns out not finite, every
 * variable (model weights, BatchNormalization statistics, optimizer slots) is put back as it
 * was before that batch (VariableSnapshot: no copies), the optimizer's counters are rewound,
 * the batches launched after it are discarded and run again, and the metrics only ever see
 * batches found finite. So weights, optimizer state, metrics and history end exactly as with
 * the awaited check; only the work of the discarded batches is wasted, and only on a NaN.
 *
 * The window holds one earlier version of the changing variables per batch, so its length is
 * bounded by memory (WINDOW_BYTES): a model with large weights gets a short window, which it
 * can afford, since its steps are long next to one round trip.
 *
 * Two cases go back to awaiting before applying: the first batches of a fit, until the
 * optimizer has made its slot variables (a snapshot cannot undo a variable's creation), and any
 * later step that creates variables anyway, which is read before the next batch starts.
 */

/** Batches read together at most (the seed model on Chromium's webgl: one read per batch ran at 0.60x of model.fit, one per 16 at 0.99-1.02x). */
export const MAX_WINDOW = 16;
/** Memory the window's earlier variable versions may hold. */
export const WINDOW_BYTES = 64 * 1024 * 1024;

export interface SteppingContext {
  plan: StepPlan;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  /** Runs the step's synchronous part under the batch's seeded Math.random (or as it is). */
  seeded<T>(batchIndex: number, body: () => T): T;
  /** Gives the event loop a turn when one is due: launching a window is a long stretch of work. */
  maybeYield(): Promise<void> | undefined;
  /**
   * Checked before each new batch, as the awaited loop checks it after each one: every batch
   * launched before a stop still counts (its window is read and any NaN redo done).
   */
  stopRequested(): boolean;
}

export interface StepOutcome {
  result: StepResult;
  batchIndex: number;
  size: number;
}

/** A batch whose update is applied and whose loss values are not read yet. */
interface InFlight {
  batch: Batch;
  batchIndex: number;
  preds: tf.Tensor[];
  /** [total, logged...] of the batch, on the device. */
  row: tf.Tensor;
  before: VariableSnapshot;
  rewindCounters: () => void;
  createdVariables: boolean;
}

/** The epoch's steps as outcomes in batch order; the generator owns (and frees) each batch. */
export async function* laggedSteps(ctx: SteppingContext, batches: AsyncIterable<Batch>, applied: { count: number }): AsyncGenerator<StepOutcome> {
  const stateExistsAfter = batchesUntilStateExists(ctx.optimizer);
  const windowLength = windowFor(variableBytes());
  const window: InFlight[] = [];
  // Batches discarded after a NaN, to be run again before the next new one: nobody else frees them.
  const toRedo: Array<{ batch: Batch; batchIndex: number }> = [];
  const iterator = batches[Symbol.asyncIterator]();
  let nextIndex = 0;
  const nextBatch = async (): Promise<{ batch: Batch; batchIndex: number } | undefined> => {
    if (toRedo.length) return toRedo.shift();
    if (ctx.stopRequested()) return undefined;
    const { value, done } = await iterator.next();
    return done ? undefined : { batch: value, batchIndex: nextIndex++ };
  };

  /** Reads the window's values at once and yields its outcomes; after a NaN, queues the rest again. */
  async function* settleWindow(): AsyncGenerator<StepOutcome> {
    const rows = await readRows(window, windowLength);
    const bad = rows.findIndex((values) => !values.every(Number.isFinite));
    const settled = bad === -1 ? window.length : bad;
    for (let i = 0; i < settled; i++) {
      const step = window.shift()!;
      try {
        if (step.preds.length) ctx.plan.metrics.update(step.batch.ys, step.preds);
      } finally {
        release(step);
      }
      yield { result: { values: rows[i]!, applied: true }, batchIndex: step.batchIndex, size: step.batch.size };
    }
    if (bad === -1) return;
    const step = window.shift()!;
    // Restoring the bad batch's snapshot also undoes every batch launched after it.
    step.before.restore();
    step.rewindCounters();
    const discarded = window.splice(0);
    for (const later of discarded) release(later, { keepBatch: true });
    const creator = [step, ...discarded].find((undone) => undone.createdVariables);
    toRedo.unshift(...discarded.map(({ batch, batchIndex }) => ({ batch, batchIndex })));
    const outcome = { result: { values: rows[bad]!, applied: false }, batchIndex: step.batchIndex, size: step.batch.size };
    release(step);
    if (creator) throw unrecoverable(creator.batchIndex);
    yield outcome;
  }

  try {
    for (;;) {
      const next = await nextBatch();
      if (!next) {
        if (!window.length) break;
        // The last window; a NaN in it queues the batches after it again.
        yield* settleWindow();
        continue;
      }
      if (applied.count < stateExistsAfter) {
        if (window.length) yield* settleWindow();
        const result = await awaitedStep(ctx, next.batch, next.batchIndex);
        if (result.applied) applied.count++;
        yield { result, batchIndex: next.batchIndex, size: next.batch.size };
        continue;
      }
      let launched: InFlight;
      try {
        launched = launch(ctx, next.batch, next.batchIndex);
      } catch (error) {
        // The awaited check would have finished the earlier batches before this one failed.
        if (window.length) yield* settleWindow();
        throw error;
      }
      window.push(launched);
      applied.count++;
      if (launched.createdVariables || window.length >= windowLength) yield* settleWindow();
      await ctx.maybeYield();
    }
  } finally {
    // Stopped (or failed) mid-window: the awaited check would not have run these batches.
    const unsettled = window.splice(0);
    if (unsettled.length) {
      unsettled[0]!.before.restore();
      unsettled[0]!.rewindCounters();
    }
    for (const step of unsettled) release(step);
    for (const { batch } of toRedo.splice(0)) disposeBatch(batch);
    await iterator.return?.();
  }
}

/** How many batches a window holds: each keeps one earlier version of the variables alive. */
function windowFor(bytesPerVersion: number): number {
  return Math.max(1, Math.min(MAX_WINDOW, Math.floor(WINDOW_BYTES / Math.max(1, bytesPerVersion))));
}

function variableBytes(): number {
  let bytes = 0;
  for (const variable of Object.values(tf.engine().state.registeredVariables)) bytes += variable.size * 4;
  return bytes;
}

/**
 * The window's loss rows with one read (one wait for the device). The stack always has
 * `length` rows (a short window is padded with its first row): on webgl each new shape would
 * compile its own shader program, a 50-150 ms main-thread task under SwiftShader.
 */
async function readRows(window: readonly InFlight[], length: number): Promise<Float32Array[]> {
  const rows = window.map((step) => step.row);
  if (length === 1) return [(await rows[0]!.data()) as Float32Array];
  const width = rows[0]!.size;
  const all = tf.stack(Array.from({ length }, (_, i) => rows[i] ?? rows[0]!));
  try {
    const values = (await all.data()) as Float32Array;
    return rows.map((_, i) => values.subarray(i * width, (i + 1) * width));
  } finally {
    all.dispose();
  }
}

/** Exactly trainStep's order (read, then apply): for the batches before the optimizer's state exists. */
async function awaitedStep(ctx: SteppingContext, batch: Batch, index: number): Promise<StepResult> {
  try {
    const step = ctx.seeded(index, () => computeStep(ctx.plan, ctx.optimizer, ctx.variables, batch));
    return await readAndFinishStep(ctx.plan, ctx.optimizer, batch, step);
  } finally {
    disposeBatch(batch);
  }
}

/** Computes the step and applies its update; its values stay on the device until the window is read. */
function launch(ctx: SteppingContext, batch: Batch, batchIndex: number): InFlight {
  const variablesBefore = registeredVariableCount();
  const before = VariableSnapshot.ofAllVariables();
  const rewindCounters = captureOptimizerCounters(ctx.optimizer);
  let row: tf.Tensor | undefined;
  let preds: tf.Tensor[] = [];
  try {
    const step = ctx.seeded(batchIndex, () => computeStep(ctx.plan, ctx.optimizer, ctx.variables, batch));
    preds = step.preds;
    try {
      row = tf.stack([step.result.value, ...step.logged]);
      ctx.optimizer.applyGradients(step.result.grads);
    } finally {
      // The snapshot of every variable covers what the step's own one (BatchNormalization statistics) holds.
      step.frozen?.dispose();
      tf.dispose([step.result.value, ...step.logged, ...Object.values(step.result.grads)]);
    }
  } catch (error) {
    // As with the awaited check, a step that throws ends the fit; it is undone so that nothing
    // of it (BatchNormalization statistics, a partial update) stays behind.
    before.restore();
    rewindCounters();
    before.dispose();
    tf.dispose([...preds, ...(row ? [row] : [])]);
    disposeBatch(batch);
    throw error;
  }
  return { batch, batchIndex, preds, row, before, rewindCounters, createdVariables: registeredVariableCount() !== variablesBefore };
}

function release(step: InFlight, { keepBatch = false } = {}): void {
  step.before.dispose();
  tf.dispose([step.row, ...step.preds]);
  if (!keepBatch) disposeBatch(step.batch);
}

function unrecoverable(batchIndex: number): Error {
  return new LossKitError(
    `A non-finite loss had to be undone past batch ${batchIndex + 1}, whose update created optimizer variables; their creation cannot be undone. ` +
      'This happens only with an optimizer that makes new state after its first updates; report it with the optimizer used.',
  );
}

import * as tf from '@tensorflow/tfjs';
import { LossKitError } from '@losskit/core';
import { batchesUntilStateExists, captureOptimizerCounters } from '../optim/counters.js';
import { disposeBatch, type Batch } from './data.js';
import { readRowsPadded } from './read-rows.js';
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
 * losses of a window of batches are read together. If one turns out not finite, the variables
 * that batch and the ones after it changed (model weights, BatchNormalization statistics,
 * optimizer slots) are put back as they were before it (VariableSnapshot: no copies), the
 * optimizer's counters and learning rate are rewound, the later batches are run again, and the
 * metrics only ever see batches found finite. Weights, optimizer state, metrics, history and
 * errors end exactly as with the awaited check; only the discarded batches' work is wasted.
 *
 * What differs: code that runs while the fit yields (a page's UI) can see weights whose batches
 * are not checked yet; and a window keeps one earlier version of the changed variables, the
 * batch and its predictions alive per batch (bounded by WINDOW_BYTES; a model with large
 * weights gets a short window, which it can afford, its steps being long next to a round trip).
 *
 * The first batches of a fit, and of an epoch whose trainable variables changed, are awaited
 * as before until the optimizer has made its slot variables: a snapshot cannot undo a
 * variable's creation.
 */

/** Batches read together at most (the seed model on Chromium's webgl: one read per batch ran at 0.60x of model.fit, one per 16 at 0.99-1.02x). */
export const MAX_WINDOW = 16;
/** Memory a window may keep alive: earlier variable versions, batches, predictions. */
export const WINDOW_BYTES = 64 * 1024 * 1024;

export interface SteppingContext {
  plan: StepPlan;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  /** Runs the step's synchronous part under the batch's seeded Math.random (or as it is). */
  seeded<T>(batchIndex: number, body: () => T): T;
  /** Gives the event loop a turn when one is due: launching a window is a long stretch of work. */
  maybeYield(): Promise<void> | undefined;
  /** Checked after each batch, as the awaited loop does; what was launched before still counts. */
  stopRequested(): boolean;
}

/** Kept across a fit's epochs: how many updates were applied since its trainable variables were last set. */
export interface FitWarmup {
  updates: number;
  variables: readonly tf.Variable[] | undefined;
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
  /** The variables this batch changed, as they were before it. */
  before: VariableSnapshot;
  rewindCounters: () => void;
  createdVariables: boolean;
  bytes: number;
}

interface Queued {
  batch: Batch;
  batchIndex: number;
}

/** The epoch's steps as outcomes in batch order; the generator owns (and frees) each batch. */
export async function* laggedSteps(ctx: SteppingContext, batches: AsyncIterable<Batch>, warmup: FitWarmup): AsyncGenerator<StepOutcome> {
  if (!sameVariables(warmup.variables, ctx.variables)) Object.assign(warmup, { updates: 0, variables: ctx.variables });
  const stateExistsAfter = batchesUntilStateExists(ctx.optimizer);
  const window: InFlight[] = [];
  // Batches to run again (after a NaN) before the next new one: nobody else frees them.
  const toRedo: Queued[] = [];
  let maxLength = 0; // set from the first launched batch's size
  let limit = 0; // the current window length: back to 1 after a NaN, doubling while clean
  let lastWindowUndone = false;
  const source = new BatchQueue(batches);

  /** Reads the window's values at once and yields its outcomes; after a NaN, queues the rest again. */
  async function* settleWindow(): AsyncGenerator<StepOutcome> {
    const rows = await readRowsPadded(window.map((step) => step.row), maxLength);
    const bad = rows.findIndex((values) => !values.every(Number.isFinite));
    const settled = bad === -1 ? window.length : bad;
    lastWindowUndone = bad !== -1;
    for (let i = 0; i < settled; i++) {
      const step = window.shift()!;
      try {
        if (step.preds.length) ctx.plan.metrics.update(step.batch.ys, step.preds);
      } finally {
        release(step);
      }
      yield { result: { values: rows[i]!, applied: true }, batchIndex: step.batchIndex, size: step.batch.size };
    }
    if (bad === -1) {
      limit = Math.min(maxLength, limit * 2);
      return;
    }
    const creator = window.find((undone) => undone.createdVariables);
    undo(window);
    const [step, ...discarded] = window.splice(0);
    for (const later of discarded) release(later, { keepBatch: true });
    toRedo.unshift(...discarded.map(({ batch, batchIndex }) => ({ batch, batchIndex })));
    const outcome = { result: { values: rows[bad]!, applied: false }, batchIndex: step!.batchIndex, size: step!.batch.size };
    release(step!);
    if (creator) throw unrecoverable(creator.batchIndex);
    limit = 1;
    yield outcome;
  }

  try {
    for (;;) {
      const next = toRedo.shift() ?? (ctx.stopRequested() && source.taken > 0 ? undefined : await source.next());
      if (!next) {
        if (window.length) {
          // The last window; a NaN in it queues the batches after it again.
          yield* settleWindow();
          continue;
        }
        source.throwIfFailed();
        break;
      }
      // (No window is open here: updates only grow within an epoch, so the warm-up comes first.)
      if (warmup.updates < stateExistsAfter) {
        const result = await awaitedStep(ctx, next.batch, next.batchIndex);
        if (result.applied) warmup.updates++;
        yield { result, batchIndex: next.batchIndex, size: next.batch.size };
        continue;
      }
      let launched: InFlight;
      try {
        launched = launch(ctx, next.batch, next.batchIndex);
      } catch (error) {
        // The awaited check would have finished the earlier batches before this one ran; and if
        // one of them is undone, this batch ran on undone weights: it runs again, right after
        // the batches that were undone with it (and before any queued behind them).
        if (window.length) {
          const queuedBehind = toRedo.length;
          yield* settleWindow();
          if (lastWindowUndone) {
            toRedo.splice(toRedo.length - queuedBehind, 0, next);
            continue;
          }
        }
        disposeBatch(next.batch);
        throw error;
      }
      window.push(launched);
      // Counted at launch, also for a batch undone later: the count only gates the warm-up.
      warmup.updates++;
      if (!maxLength) limit = maxLength = Math.max(1, Math.min(MAX_WINDOW, Math.floor(WINDOW_BYTES / Math.max(1, launched.bytes))));
      if (launched.createdVariables || window.length >= limit) yield* settleWindow();
      await ctx.maybeYield();
    }
  } finally {
    // Left by an error before the window was read (a failed read, say): what was not
    // confirmed is undone, as the awaited check would not have applied it.
    undo(window);
    for (const step of window.splice(0)) release(step);
    for (const { batch } of toRedo.splice(0)) disposeBatch(batch);
    await source.close();
  }
}

/** Puts back what the window's batches changed, newest first; the oldest one's counters are the ones to return to. */
function undo(window: readonly InFlight[]): void {
  for (let i = window.length - 1; i >= 0; i--) window[i]!.before.restore();
  window[0]?.rewindCounters();
}

/** The batches of a source with their indices; an error from it is held until the batches before it are settled. */
class BatchQueue {
  taken = 0;
  private failure: { error: unknown } | undefined;
  private readonly iterator: AsyncIterator<Batch>;

  constructor(batches: AsyncIterable<Batch>) {
    this.iterator = batches[Symbol.asyncIterator]();
  }

  async next(): Promise<Queued | undefined> {
    if (this.failure) return undefined;
    try {
      const { value, done } = await this.iterator.next();
      return done ? undefined : { batch: value, batchIndex: this.taken++ };
    } catch (error) {
      this.failure = { error };
      return undefined;
    }
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
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

/** Computes the step and applies its update; its values stay on the device until the window is read. The caller keeps the batch on error. */
function launch(ctx: SteppingContext, batch: Batch, batchIndex: number): InFlight {
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
      // The snapshot of every variable covers what the step's own one (moving statistics) holds.
      step.nonTrainableBefore?.dispose();
      tf.dispose([step.result.value, ...step.logged, ...Object.values(step.result.grads)]);
    }
  } catch (error) {
    // A step that throws changes nothing: its moving statistics (as the awaited check also
    // puts back) and any partial update (which the awaited check cannot undo) are put back.
    before.restore();
    rewindCounters();
    before.dispose();
    tf.dispose([...preds, ...(row ? [row] : [])]);
    throw error;
  }
  const changedBytes = before.keepChanged();
  const bytes = changedBytes + tensorBytes([...batch.xs, ...batch.ys, ...batch.weights.filter((w): w is tf.Tensor => w !== undefined), ...preds]);
  // A variable the step created is not in the snapshot of all variables taken before it.
  const createdVariables = registeredVariableCount() !== before.taken;
  return { batch, batchIndex, preds, row, before, rewindCounters, createdVariables, bytes };
}

function release(step: InFlight, { keepBatch = false } = {}): void {
  step.before.dispose();
  tf.dispose([step.row, ...step.preds]);
  if (!keepBatch) disposeBatch(step.batch);
}

function tensorBytes(tensors: readonly tf.Tensor[]): number {
  return tensors.reduce((sum, t) => sum + t.size * 4, 0);
}

function sameVariables(a: readonly tf.Variable[] | undefined, b: readonly tf.Variable[]): boolean {
  return a !== undefined && a.length === b.length && a.every((variable, i) => variable === b[i]);
}

function unrecoverable(batchIndex: number): Error {
  return new LossKitError(
    `A non-finite loss had to be undone past batch ${batchIndex + 1}, whose update made new optimizer variables (an optimizer that creates state after its first update); ` +
      "their creation cannot be undone on this backend. Train on cpu or wasm, or use nanPolicy: 'throw' and fix the data.",
  );
}

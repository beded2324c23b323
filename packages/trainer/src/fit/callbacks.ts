import * as tf from '@tensorflow/tfjs';

/** Numbers logged for a batch or an epoch, keyed as in the history. */
export type Logs = Record<string, number>;

/**
 * A TF.js-style callback: plain objects with any of these methods, or tf.Callback instances
 * (tf.callbacks.earlyStopping() works: it sets model.stopTraining, which the trainer honours).
 * Returned promises are awaited.
 */
export interface TrainerCallback {
  setParams?(params: Record<string, unknown>): void;
  setModel?(model: tf.LayersModel): void;
  onTrainBegin?(logs?: Logs): unknown;
  onTrainEnd?(logs?: Logs): unknown;
  onEpochBegin?(epoch: number, logs?: Logs): unknown;
  onEpochEnd?(epoch: number, logs?: Logs): unknown;
  onBatchBegin?(batch: number, logs?: Logs): unknown;
  onBatchEnd?(batch: number, logs?: Logs): unknown;
  /**
   * Set by a callback whose onBatchEnd only counts batches (the per-epoch progress lines): on
   * webgl/webgpu it may then be told after the fact, with the batch's loss values only, and
   * the trainer keeps reading losses a window of batches at a time (fit/lagged-steps.ts).
   */
  countsBatchesOnly?: boolean;
}

// tf.Callback's own onBatchBegin/onBatchEnd do nothing; a subclass that does not override them
// (tf.callbacks.earlyStopping()) has no per-batch hook.
const inheritedNoOp = (hook: unknown, name: 'onBatchBegin' | 'onBatchEnd') => hook === (tf.Callback.prototype as unknown as TrainerCallback)[name];
const hasHook = (cb: TrainerCallback, name: 'onBatchBegin' | 'onBatchEnd') => typeof cb[name] === 'function' && !inheritedNoOp(cb[name], name);

/** Calls every callback in order, awaiting each, so callbacks see a consistent sequence. */
export class CallbackList {
  constructor(private readonly callbacks: readonly TrainerCallback[]) {}

  init(model: tf.LayersModel, params: Record<string, unknown>): void {
    for (const cb of this.callbacks) {
      cb.setModel?.(model);
      cb.setParams?.(params);
    }
  }

  /** Whether a callback asks for the learning rate in the epoch logs (ReduceLROnPlateau, LearningRateScheduler). */
  get logsLearningRate(): boolean {
    return this.callbacks.some((cb) => (cb as { logsLearningRate?: unknown }).logsLearningRate === true);
  }

  /** Whether a callback does anything per batch (so batch logs are built). */
  get hasBatchHooks(): boolean {
    return this.callbacks.some((cb) => hasHook(cb, 'onBatchBegin') || hasHook(cb, 'onBatchEnd'));
  }

  /** Whether a callback must see each batch before the next one starts (all but batch counters). */
  get awaitsEachBatch(): boolean {
    return this.callbacks.some((cb) => hasHook(cb, 'onBatchBegin') || (hasHook(cb, 'onBatchEnd') && cb.countsBatchesOnly !== true));
  }

  async trainBegin(logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainBegin?.(logs);
  }
  async trainEnd(logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainEnd?.(logs);
  }
  async epochBegin(epoch: number): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochBegin?.(epoch, {});
  }
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochEnd?.(epoch, { ...logs });
  }
  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchBegin?.(batch, logs);
  }
  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchEnd?.(batch, { ...logs });
  }
}

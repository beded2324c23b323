import type * as tf from '@tensorflow/tfjs';

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
}

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

  get hasBatchHooks(): boolean {
    return this.callbacks.some((cb) => cb.onBatchBegin || cb.onBatchEnd);
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

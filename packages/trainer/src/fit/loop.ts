import * as tf from '@tensorflow/tfjs';
import { currentLearningRate, isTrainingOptimizer } from '../callbacks/learning-rate-control.js';
import { AllBatchesSkippedError, TrainerInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallbackList, Logs } from './callbacks.js';
import { disposeBatch, type Batch } from './data.js';
import { evaluateSource } from './evaluate.js';
import { withSeededMathRandom } from './seeded-random.js';
import type { FitSettings } from './settings.js';
import { epochOrder } from './shuffle.js';
import type { BatchSource } from './sources.js';
import { optimizerStateIsKnown } from '../optim/counters.js';
import { laggedSteps, type FitWarmup, type SteppingContext } from './lagged-steps.js';
import { computeStep, readAndFinishStep, readsSynchronously, trainStep, type StepPlan, type StepResult } from './step.js';
import { createYielder } from './yielder.js';

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/** Everything one fit's epochs need, assembled by the trainer; the loop keeps no state of its own. */
export interface FitRun {
  plan: StepPlan;
  optimizer: tf.Optimizer;
  settings: FitSettings;
  train: BatchSource;
  validation: BatchSource | undefined;
  /** Whether the training data is in memory (shuffled by the loop) rather than a dataset. */
  inMemory: boolean;
  callbacks: CallbackList;
  /** The seed used for shuffling; `seededLayers` when it also seeds Dropout & co. */
  seed: number | string;
  seededLayers: boolean;
  logger: Logger;
  stopRequested(): boolean;
  /** Called after each finished epoch (the trainer counts epochs). */
  epochDone(epoch: number): void;
  /**
   * Replaces the in-thread step (the `workers` option: fit/parallel-pool.ts). Like trainStep it
   * applies the gradients and updates the metrics only when every loss value is finite.
   */
  step?: (batch: Batch, epoch: number, batchIndex: number) => Promise<StepResult>;
}

/** The epochs of one fit: train, validate, log, call back; returns this fit's history. */
export async function runEpochs(run: FitRun): Promise<History> {
  const { plan, settings, callbacks } = run;
  const history: History = { epoch: [], history: {} };
  const maybeYield = createYielder(settings.yieldEvery);
  callbacks.init(plan.model, {
    epochs: settings.epochs,
    initialEpoch: settings.initialEpoch,
    samples: run.train.size,
    batchSize: settings.batchSize,
    metrics: [...plan.loss.keys, ...plan.metrics.keys],
  });
  await callbacks.trainBegin({});
  // Updates applied in this fit: the windowed guard of webgl/webgpu waits until the optimizer's state exists.
  const warmup: FitWarmup = { updates: 0, variables: undefined };
  for (let epoch = settings.initialEpoch; epoch < settings.epochs && !run.stopRequested(); epoch++) {
    await callbacks.epochBegin(epoch);
    await maybeYield();
    const logs = await trainEpoch(run, epoch, maybeYield, warmup);
    if (run.validation) Object.assign(logs, await evaluateSource(plan, run.validation, settings.batchSize, 'val_', maybeYield));
    // Keras's key; the rate the next update uses, read before callbacks may change it.
    if (callbacks.logsLearningRate || isTrainingOptimizer(run.optimizer)) logs.learning_rate = currentLearningRate(run.optimizer);
    history.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
    run.epochDone(epoch);
    await callbacks.epochEnd(epoch, logs);
  }
  await callbacks.trainEnd({});
  return history;
}

async function trainEpoch(run: FitRun, epoch: number, maybeYield: () => Promise<void> | undefined, warmup: FitWarmup): Promise<Logs> {
  const { plan, settings, callbacks } = run;
  const keys = plan.loss.keys;
  const variables = plan.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const seeded = <T>(batch: number, body: () => T): T => (run.seededLayers ? withSeededMathRandom(run.seed, epoch, batch, body) : body());
  const sync = readsSynchronously(tf.getBackend());
  // The same step either way; only how its values are read differs (see readsSynchronously).
  const syncStep = (batch: Batch, index: number) => seeded(index, () => trainStep(plan, run.optimizer, variables, batch));
  const asyncStep = (batch: Batch, index: number) =>
    readAndFinishStep(plan, run.optimizer, batch, seeded(index, () => computeStep(plan, run.optimizer, variables, batch)));

  const order = run.inMemory && settings.shuffle ? (size: number) => epochOrder(size, run.seed, epoch) : undefined;
  // Per-batch logs are built only for callbacks that want them: the step is hot.
  const batchHooks = callbacks.hasBatchHooks;
  const sums = new Float64Array(keys.length);
  let samples = 0;
  let skipped = 0;
  let batchIndex = 0;
  let lastBad: StepResult | undefined;
  const record = (result: StepResult, size: number, index: number): void => {
    if (!result.applied) {
      if (settings.nanPolicy === 'throw') throw plan.loss.nonFinite(result.values, epoch, index);
      skipped++;
      lastBad = result;
    } else {
      for (let k = 0; k < keys.length; k++) sums[k]! += result.values[k]! * size;
      samples += size;
    }
  };
  plan.metrics.reset();
  const batches = run.train.batches(epoch, settings.batchSize, order);
  if (!run.step && !sync && !callbacks.awaitsEachBatch && optimizerStateIsKnown(run.optimizer)) {
    // webgl/webgpu: the NaN guard reads a window of batches at once, so the device does not wait
    // for a round trip per batch (fit/lagged-steps.ts). Per-batch callbacks keep the awaited
    // order below (they see each batch before the next one starts, as with model.fit), except
    // those that only count batches, which are told as the window is read; so does an optimizer
    // whose own state the guard cannot undo (one not built into TF.js).
    const context: SteppingContext = { plan, optimizer: run.optimizer, variables, seeded, maybeYield, stopRequested: () => run.stopRequested() };
    // The steps check for a stop themselves: what they launched before it still counts.
    for await (const { result, size, batchIndex: index } of laggedSteps(context, batches, warmup)) {
      record(result, size, index);
      if (batchHooks) await callbacks.batchEnd(index, toLogs(keys, result.values));
      batchIndex++;
      await maybeYield();
    }
  } else {
    for await (const batch of batches) {
      let result: StepResult;
      try {
        if (batchHooks) await callbacks.batchBegin(batchIndex, {});
        result = run.step ? await run.step(batch, epoch, batchIndex) : sync ? syncStep(batch, batchIndex) : await asyncStep(batch, batchIndex);
      } finally {
        disposeBatch(batch);
      }
      record(result, batch.size, batchIndex);
      if (batchHooks) await callbacks.batchEnd(batchIndex, { ...toLogs(keys, result.values), ...(await metricLogs(plan)) });
      batchIndex++;
      await maybeYield();
      if (run.stopRequested()) break;
    }
  }
  if (batchIndex === 0) throw new TrainerInputError('fit: the dataset yielded no batches; check that it is not empty or already exhausted.');
  if (lastBad && samples === 0) throw new AllBatchesSkippedError(epoch, skipped, plan.loss.nonFinite(lastBad.values, epoch, batchIndex - 1).term);
  if (skipped) run.logger(`[losskit] epoch ${epoch + 1}: skipped ${skipped} batch(es) with a non-finite loss (nanPolicy 'skip-batch').`);
  const logs = { ...toLogs(keys, Array.from(sums, (sum) => sum / samples)), ...(await metricLogs(plan)) };
  // Read: the metrics' state is not needed past the epoch (and holds tensors).
  plan.metrics.reset();
  return logs;
}

async function metricLogs(plan: StepPlan): Promise<Logs> {
  const keys = plan.metrics.keys;
  if (!keys.length) return {};
  return toLogs(keys, await plan.metrics.read());
}

function toLogs(keys: readonly string[], values: ArrayLike<number>): Logs {
  const logs: Logs = {};
  for (let k = 0; k < keys.length; k++) logs[keys[k]!] = values[k]!;
  return logs;
}

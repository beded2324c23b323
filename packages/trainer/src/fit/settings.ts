import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { checkKeys, checkOptionsObject, describe, isPlainObject, oneOf, wholeNumber, type MovedKeys } from '../options/strict.js';
import type { CheckpointOptions } from '../persistence/index.js';
import type { TrainerCallback } from './callbacks.js';
import type { TensorInput } from './data.js';
import type { EarlyStoppingOptions } from './early-stopping.js';
import type { ClassWeightOption, SampleWeightOption } from './weights.js';
import { isYieldEvery, type YieldEvery } from './yielder.js';

/** 0 silent, 1 a progress bar on a terminal (lines elsewhere), 2 one line per epoch (Keras). */
export type Verbosity = 0 | 1 | 2;
/** `false`/`true` are read as 0/1. */
export type VerboseOption = Verbosity | boolean;

export type ValidationData =
  | readonly [TensorInput, TensorInput]
  | readonly [TensorInput, TensorInput, SampleWeightOption]
  | tf.data.Dataset<tf.TensorContainer>;

export interface FitOptions {
  /** Index of the last epoch + 1 (Keras semantics: with initialEpoch 2 and epochs 4, two epochs run). Default 1. */
  epochs?: number;
  /** Default 32; ignored for datasets, which are batched already. */
  batchSize?: number;
  /** Fraction of the samples, taken from the end before shuffling, used for validation. */
  validationSplit?: number;
  validationData?: ValidationData;
  /** Shuffle the samples every epoch (default true; in-memory data only). */
  shuffle?: boolean;
  callbacks?: TrainerCallback | readonly TrainerCallback[];
  initialEpoch?: number;
  /** One weight per sample (or per output: array, or keyed by output name; outputs left out weigh 1). */
  sampleWeight?: SampleWeightOption;
  /** Class index -> weight (or per output), for one-hot or integer targets. */
  classWeight?: ClassWeightOption;
  /**
   * Shuffling becomes a function of (seed, epoch), and randomness inside layers (Dropout, ...)
   * a function of (seed, epoch, batch): reproducible and resumable. Default: `trainer.seed`.
   */
  seed?: number | string;
  earlyStopping?: EarlyStoppingOptions | boolean;
  /** What a NaN/Inf loss does: 'throw' (default) or 'skip-batch'. Either way its gradients are not applied. */
  nanPolicy?: 'throw' | 'skip-batch';
  /** Progress output of this fit; default: the trainer's `verbose` (1). */
  verbose?: VerboseOption;
  /**
   * How often the loop lets timers, I/O and `stopTraining` set from outside run: 'auto' (every
   * 25 ms, the default), 'batch', 'never', or a number of milliseconds (as tfjs's yieldEvery).
   */
  yieldEvery?: YieldEvery;
  /** Write `checkpoint.dir/epoch-000012/` atomically every `everyEpochs` (default 1), keeping the last `keep` (default 3). */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from the newest complete checkpoint in `checkpoint.dir` (weights, optimizer state,
   * epoch counter, seed); starts from scratch when there is none yet. `initialEpoch` is ignored.
   */
  resume?: boolean;
  /**
   * Data-parallel training across Node worker threads (Node only): each batch's gradient is
   * computed in `workers` slices at once (this thread computes the first), summed in a fixed
   * order, and applied here by the trainer's optimizer. 'auto' picks a count from the cores and
   * the batch size and logs it. Default 1 (no workers). See fit/parallel-pool.ts.
   */
  workers?: WorkersOption;
  /**
   * Modules every worker imports before it resolves the losses (package names, or file paths
   * relative to the working directory): whatever registers a loss defined in your own code.
   */
  workerImports?: readonly string[];
}

export type WorkersOption = 'auto' | number;

export interface EvaluateOptions {
  batchSize?: number;
  /** One weight per sample (or per output); not with a dataset (put weights in its elements). */
  sampleWeight?: SampleWeightOption;
  yieldEvery?: YieldEvery;
}

export interface PredictOptions {
  batchSize?: number;
  yieldEvery?: YieldEvery;
}

/** Fit options after validation: every default filled in, nothing left to check. */
export interface FitSettings {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  nanPolicy: 'throw' | 'skip-batch';
  verbose: Verbosity | undefined;
  seed: number | string | undefined;
  callbacks: TrainerCallback[];
  earlyStopping: EarlyStoppingOptions | undefined;
  checkpoint: CheckpointOptions | undefined;
  resume: boolean;
  yieldEvery: YieldEvery;
  sampleWeight: SampleWeightOption | undefined;
  classWeight: ClassWeightOption | undefined;
  validationData: ValidationData | undefined;
  workers: WorkersOption;
  workerImports: readonly string[];
}

const FIT_KEYS = [
  'epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'callbacks', 'initialEpoch', 'sampleWeight',
  'classWeight', 'seed', 'earlyStopping', 'nanPolicy', 'verbose', 'yieldEvery', 'checkpoint', 'resume',
  'workers', 'workerImports',
] as const;
const FIT_MOVED: MovedKeys = {
  progress: "progress was replaced by verbose: 0 (silent), 1 (bar on a terminal, lines elsewhere) or 2 (one line per epoch)",
  validationSteps: 'validation runs over the whole validationData; pass a smaller dataset (dataset.take(n))',
  stepsPerEpoch: 'an epoch is one pass over the data; pass dataset.take(n) for shorter epochs',
};
const EARLY_STOPPING_KEYS = ['monitor', 'patience', 'minDelta', 'mode'] as const;

export const DEFAULT_BATCH_SIZE = 32;

/** Checks every fit option once and fills in the defaults (`inMemory`: x and y are tensors, not a dataset). */
export function fitSettings(given: unknown, inMemory: boolean): FitSettings {
  const options = checkOptionsObject(given, 'fit', '{ epochs: 10, batchSize: 32 }') as FitOptions;
  checkKeys(options, FIT_KEYS, 'fit', FIT_MOVED);
  const epochs = wholeNumber(options.epochs ?? 1, 'fit: epochs', 1);
  const initialEpoch = wholeNumber(options.initialEpoch ?? 0, 'fit: initialEpoch', 0);
  if (initialEpoch >= epochs) {
    throw new TrainerInputError(`fit: initialEpoch (${initialEpoch}) must be below epochs (${epochs}); epochs is the index of the last epoch + 1, as in Keras.`);
  }
  const batchSize = inMemory || options.batchSize !== undefined ? batchSizeOf(options.batchSize, 'fit') : DEFAULT_BATCH_SIZE;
  const validationSplit = options.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new TrainerInputError(`fit: validationSplit must be a number in [0, 1) (got ${describe(options.validationSplit)}), e.g. 0.2 for the last 20%.`);
  }
  if (!inMemory && validationSplit) throw new TrainerInputError('fit: validationSplit needs in-memory tensors; with a dataset pass validationData.');
  if (!inMemory && options.sampleWeight !== undefined) {
    throw new TrainerInputError('fit: with a dataset, put sample weights in its elements ({ xs, ys, sampleWeight } or [xs, ys, sampleWeight]) instead of the sampleWeight option.');
  }
  if (validationSplit && options.validationData !== undefined) throw new TrainerInputError('fit: pass either validationSplit or validationData, not both.');
  return {
    epochs,
    initialEpoch,
    batchSize,
    validationSplit,
    shuffle: flag(options.shuffle, true, 'fit: shuffle'),
    nanPolicy: oneOf(options.nanPolicy ?? 'throw', ['throw', 'skip-batch'] as const, 'fit: nanPolicy'),
    verbose: options.verbose === undefined ? undefined : verbosity(options.verbose, 'fit: verbose'),
    seed: seedOf(options.seed),
    callbacks: callbackList(options.callbacks),
    earlyStopping: earlyStoppingOf(options.earlyStopping),
    checkpoint: checkpointOf(options.checkpoint),
    resume: flag(options.resume, false, 'fit: resume'),
    yieldEvery: yieldEveryOf(options.yieldEvery, 'fit'),
    sampleWeight: options.sampleWeight,
    classWeight: options.classWeight,
    validationData: options.validationData,
    workers: workersOf(options.workers),
    workerImports: workerImportsOf(options.workerImports),
  };
}

export function evaluateSettings(given: unknown, inMemory: boolean): { batchSize: number; sampleWeight: SampleWeightOption | undefined; yieldEvery: YieldEvery } {
  const options = checkOptionsObject(given, 'evaluate', '{ batchSize: 32 }') as EvaluateOptions;
  checkKeys(options, ['batchSize', 'sampleWeight', 'yieldEvery'], 'evaluate');
  if (!inMemory && options.sampleWeight !== undefined) throw new TrainerInputError('evaluate: with a dataset, put sample weights in its elements.');
  return { batchSize: batchSizeOf(options.batchSize, 'evaluate'), sampleWeight: options.sampleWeight, yieldEvery: yieldEveryOf(options.yieldEvery, 'evaluate') };
}

export function predictSettings(given: unknown): { batchSize: number; yieldEvery: YieldEvery } {
  const options = checkOptionsObject(given, 'predict', '{ batchSize: 32 }') as PredictOptions;
  checkKeys(options, ['batchSize', 'yieldEvery'], 'predict');
  return { batchSize: batchSizeOf(options.batchSize, 'predict'), yieldEvery: yieldEveryOf(options.yieldEvery, 'predict') };
}

export function verbosity(value: unknown, name: string): Verbosity {
  if (value === false) return 0;
  if (value === true) return 1;
  return oneOf(value, [0, 1, 2] as const, `${name} (0 silent, 1 progress bar or lines, 2 one line per epoch)`);
}

function batchSizeOf(value: unknown, where: string): number {
  return wholeNumber(value ?? DEFAULT_BATCH_SIZE, `${where}: batchSize`, 1, '; 32 is a common choice');
}

function flag(value: unknown, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new TrainerInputError(`${name} must be true or false (got ${describe(value)}).`);
}

function seedOf(value: unknown): number | string | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value !== '')) {
    return value as number | string | undefined;
  }
  throw new TrainerInputError(`fit: seed must be a finite number or a non-empty string, e.g. seed: 42 (got ${describe(value)}).`);
}

function callbackList(value: unknown): TrainerCallback[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((cb, i) => {
    if (typeof cb !== 'object' || cb === null || Array.isArray(cb) || cb instanceof tf.Tensor) {
      throw new TrainerInputError(
        `fit: callbacks${Array.isArray(value) ? `[${i}]` : ''} must be an object with methods such as onEpochEnd(epoch, logs) (got ${describe(cb)}).`,
      );
    }
  });
  return [...list] as TrainerCallback[];
}

function earlyStoppingOf(value: unknown): EarlyStoppingOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (!isPlainObject(value)) throw new TrainerInputError(`fit: earlyStopping must be true or an object such as { patience: 3 } (got ${describe(value)}).`);
  checkKeys(value, EARLY_STOPPING_KEYS, 'fit: earlyStopping');
  return value as EarlyStoppingOptions;
}

// A Record over the interface's keys: a key added to CheckpointOptions but not here fails to compile.
export const CHECKPOINT_KEYS: Readonly<Record<keyof CheckpointOptions, true>> = { dir: true, everyEpochs: true, keep: true, runId: true };

function checkpointOf(value: unknown): CheckpointOptions | undefined {
  if (value === undefined) return undefined;
  // Keys first: `{ dirr }` is a typo to name, not a missing directory.
  if (isPlainObject(value)) checkKeys(value, Object.keys(CHECKPOINT_KEYS), 'fit: checkpoint');
  if (!isPlainObject(value) || typeof value.dir !== 'string' || value.dir === '') {
    throw new TrainerInputError("fit: checkpoint needs a directory, e.g. checkpoint: { dir: 'runs/ckpt' }.");
  }
  return value as unknown as CheckpointOptions;
}

function workersOf(value: unknown): WorkersOption {
  if (value === undefined) return 1;
  if (value === 'auto') return value;
  return wholeNumber(value, "fit: workers ('auto' or a count of worker threads)", 1, "; 'auto' picks one from the cores and the batch size");
}

function workerImportsOf(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return [...value] as string[];
  throw new TrainerInputError(`fit: workerImports must be a list of module names or paths, e.g. workerImports: ['./my-losses.js'] (got ${describe(value)}).`);
}

function yieldEveryOf(value: unknown, where: string): YieldEvery {
  if (value === undefined) return 'auto';
  if (isYieldEvery(value)) return value;
  throw new TrainerInputError(`${where}: yieldEvery must be 'auto', 'batch', 'never' or a number of milliseconds >= 0 (got ${describe(value)}).`);
}

import * as tf from '@tensorflow/tfjs';
import type { SavedLossSpec } from '@losskit/core';
import type { BackendChoice, BackendPreference } from './backend.js';
import { TrainerInputError } from './errors.js';
import { pickLogger, type Logger } from './logger.js';
import { describeOptimizer, resolveOptimizer } from './optimizer.js';
import { checkTrainerOptions, type TrainerOptions } from './trainer-options.js';
import { checkUsable, markDisposed } from './trainer-usable.js';
import type { Logs } from './fit/callbacks.js';
import { assembleCallbacks } from './fit/assemble-callbacks.js';
import type { LossOption, LossWeightsOption } from './fit/compiled-loss.js';
import type { MetricsOption } from './fit/compiled-metrics.js';
import type { TensorInput } from './fit/data.js';
import { evaluateSource, predictBatches } from './fit/evaluate.js';
import { evaluationSource, fitSources, splitArguments, type FitData } from './fit/fit-data.js';
import { runEpochs, type FitRun, type History } from './fit/loop.js';
import { evaluateSettings, fitSettings, predictSettings, verbosity, type EvaluateOptions, type FitOptions, type PredictOptions, type VerboseOption, type Verbosity } from './fit/settings.js';
import { startWorkers } from './fit/parallel-start.js';
import { prepareSetUp, type SetUp } from './fit/set-up.js';
import { freshSeed } from './fit/shuffle.js';
import { ArraySource, type BatchSource } from './fit/sources.js';
import type { StepPlan } from './fit/step.js';
import { createYielder } from './fit/yielder.js';
import type { CheckpointOptions } from './persistence/checkpoints.js';
import type { CheckpointRun } from './persistence/checkpoint-run.js';
import type { RestoredTrainerOptions, TrainerLoadOptions } from './persistence/build-trainer.js';
import type { TrainerLocation } from './persistence/location.js';
import type { HistoryRecord } from './persistence/manifest.js';
import { openFitCheckpoint } from './persistence/fit-checkpoint.js';
import { loadTrainerAt, nodePersistence, saveExtras, saveTrainerAt, type SaveOptions } from './persistence/route.js';

export type { TrainerOptions };

export type { CheckpointOptions, FitOptions, EvaluateOptions, PredictOptions, History, SaveOptions };

/**
 * Fits a tf.LayersModel with losses resolved by name, with its own training loop: sample and
 * class weights, per-output losses and loss weights, stateful metrics, NaN guards, seeded
 * shuffling, and an event loop that keeps running while it trains.
 *
 *   const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse' });
 *   const { history } = await trainer.fit(x, y, { epochs: 10, batchSize: 32, seed: 1 });
 *
 * The class is the public face only: the compiled loss (fit/compiled-loss.ts) and metrics
 * (fit/compiled-metrics.ts), the option checks (fit/settings.ts), the data sources
 * (fit/fit-data.ts), the epoch loop (fit/loop.ts) and evaluation (fit/evaluate.ts) do the work.
 */
export class Trainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  /** The JSON-able part of the options, for saving the trainer. */
  readonly constructorOptions: {
    optimizer: string | { className: string; config: tf.serialization.ConfigDict };
    loss: LossOption;
    lossWeights?: LossWeightsOption;
    metrics?: MetricsOption;
    backend?: BackendPreference;
    plugins?: readonly string[];
  };
  /**
   * Epochs this model has been trained for in total: each finished epoch adds one, whatever
   * `initialEpoch` says, so it never decreases (a loaded trainer at 3 is at 5 after
   * `fit({ epochs: 2 })`). `resume` sets it to the checkpoint's.
   */
  epochsCompleted = 0;
  /** Set to true (from a callback, a timer, a signal handler) to stop after the current batch. */
  stopTraining = false;
  /**
   * The seed `fit` uses when its options give none. `Trainer.load` sets it to the seed of the
   * saved trainer's last fit, so a loaded trainer continues that run deterministically.
   */
  seed: number | string | undefined;
  /**
   * The per-epoch logs saved with this trainer (`save(target, { history })`, or a checkpoint's run
   * history), set by `Trainer.load` / `Trainer.resume`; undefined otherwise.
   */
  savedHistory: HistoryRecord | undefined;

  private readonly logger: Logger;
  private readonly verbose: Verbosity;
  private setUp: Promise<SetUp> | undefined;
  private ready_: SetUp | undefined;
  private running = false;
  /** The checkpoint directory this fit writes to (its lock, run id, resumed history); only while a fit runs. */
  private checkpointRun: CheckpointRun | undefined;
  /** The seed the last fit used (given, or drawn for it); `save` records it. */
  private lastFitSeed: number | string | undefined;
  /** Whether `dispose` frees the optimizer: the trainer made it (from a name, or Trainer.load built it). */
  private ownsOptimizer: boolean;

  constructor(private readonly options: TrainerOptions) {
    checkTrainerOptions(options);
    this.verbose = options.verbose === undefined ? 1 : verbosity(options.verbose, 'new Trainer: verbose');
    this.model = options.model;
    // A Sequential model builds its inner graph (input/output names) lazily, on first use.
    if (this.model instanceof tf.Sequential && this.model.inputNames.length === 0 && this.model.inputs.length > 0) this.model.build();
    this.optimizer = resolveOptimizer(options.optimizer);
    this.ownsOptimizer = typeof options.optimizer === 'string';
    this.logger = pickLogger(options.logger, this.verbose);
    this.constructorOptions = {
      optimizer: typeof options.optimizer === 'string' ? options.optimizer.toLowerCase() : describeOptimizer(this.optimizer),
      loss: options.loss,
      ...(options.lossWeights !== undefined ? { lossWeights: options.lossWeights } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
    };
  }

  /**
   * Selects the backend and resolves losses and metrics; `fit` calls it, call it to fail early.
   * A failed set-up is not kept: after fixing the cause (registering the loss, say) it runs again.
   */
  ready(): Promise<this> {
    this.setUp ??= prepareSetUp(this.model, this.options, this.logger).then(
      (setUp) => (this.ready_ = setUp),
      (error: unknown) => {
        this.setUp = undefined;
        throw error;
      },
    );
    return this.setUp.then(() => this);
  }

  /** The resolved loss specs (canonical names, options filled in), shaped like the `loss` option. */
  get lossSpecs(): SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec> {
    return this.prepared().loss.specs;
  }

  /** Loss factor per output, in output order. */
  get lossWeights(): readonly number[] {
    return this.prepared().loss.weights;
  }

  /** History keys of the metrics: the strings given (`<output>_<metric>` on a multi-output model). */
  get metricNames(): string[] {
    return this.prepared().metrics.keys;
  }

  /** History keys of a training epoch: 'loss', per-output losses, sum terms, metrics. */
  get logKeys(): string[] {
    const { loss, metrics } = this.prepared();
    return [...loss.keys, ...metrics.keys];
  }

  get backend(): BackendChoice {
    return this.prepared().backend;
  }

  fit(dataset: tf.data.Dataset<tf.TensorContainer>, options?: FitOptions): Promise<History>;
  fit(x: TensorInput, y: TensorInput, options?: FitOptions): Promise<History>;
  async fit(x: unknown, second?: unknown, third?: unknown): Promise<History> {
    checkUsable(this, this.model, 'fit');
    const { data, options } = splitArguments('fit', x, second, third);
    // Checked before anything runs, so a typo fails before a checkpoint is touched.
    fitSettings(options, !('dataset' in data));
    if (this.running) throw new TrainerInputError('fit: this trainer is already fitting; await the running fit first.');
    this.running = true;
    const owned: BatchSource[] = [];
    try {
      await this.ready();
      // With `checkpoint`: the run's lock and, with `resume`, its newest checkpoint restored here.
      const checkpoint = await openFitCheckpoint(this, (options ?? {}) as FitOptions, this.logger);
      this.checkpointRun = checkpoint.run;
      if (!checkpoint.options) return { epoch: [], history: {} };
      return await this.runFit(data, checkpoint.options, owned);
    } finally {
      // A fit leaves nothing behind but the model, optimizer, epoch counter and seed.
      await this.checkpointRun?.close();
      this.checkpointRun = undefined;
      for (const source of owned) source.dispose();
      this.running = false;
    }
  }

  /** Losses and metrics over data in inference mode, with the same keys as a training epoch. */
  evaluate(dataset: tf.data.Dataset<tf.TensorContainer>, options?: EvaluateOptions): Promise<Logs>;
  evaluate(x: TensorInput, y: TensorInput, options?: EvaluateOptions): Promise<Logs>;
  async evaluate(x: unknown, second?: unknown, third?: unknown): Promise<Logs> {
    checkUsable(this, this.model, 'evaluate');
    const { data, options } = splitArguments('evaluate', x, second, third);
    const settings = evaluateSettings(options, !('dataset' in data));
    const setUp = await this.readySetUp();
    const source = evaluationSource(this.model, setUp.loss, data, settings.sampleWeight);
    try {
      return await evaluateSource(this.plan(setUp), source, settings.batchSize, '', createYielder(settings.yieldEvery));
    } finally {
      source.dispose();
    }
  }

  /** The model's outputs for x in inference mode, batch by batch (one tensor per output). */
  async predict(x: TensorInput, options?: PredictOptions): Promise<tf.Tensor | tf.Tensor[]> {
    checkUsable(this, this.model, 'predict');
    const settings = predictSettings(options);
    const source = ArraySource.inputsOnly(this.model, x, 'predict');
    try {
      const outputs = await predictBatches(this.model, source, settings.batchSize, createYielder(settings.yieldEvery));
      return outputs.length === 1 ? outputs[0]! : outputs;
    } finally {
      source.dispose();
    }
  }

  /**
   * Frees the resolved losses and metrics, and the optimizer the trainer made (from a name, or
   * restored by Trainer.load/resume), whose slots would otherwise stay allocated; not an optimizer
   * passed in, nor the model: always the caller's to keep using and free (`trainer.model.dispose()`).
   */
  dispose(): void {
    markDisposed(this);
    if (this.ownsOptimizer) this.optimizer.dispose();
    if (!this.ready_) return;
    this.ready_.loss.dispose();
    this.ready_.metrics.dispose();
  }

  private async readySetUp(): Promise<SetUp> {
    await this.ready();
    return this.prepared();
  }

  private prepared(): SetUp {
    if (!this.ready_) throw new TrainerInputError('The trainer is not ready yet: `await trainer.ready()` (or a fit) first.');
    return this.ready_;
  }

  private plan(setUp: SetUp): StepPlan {
    return { model: this.model, loss: setUp.loss, metrics: setUp.metrics };
  }

  private async runFit(data: FitData, options: FitOptions, owned: BatchSource[]): Promise<History> {
    const setUp = this.prepared();
    const inMemory = !('dataset' in data);
    const settings = fitSettings(options, inMemory);
    const { train, validation } = fitSources(this.model, setUp.loss, data, settings, owned);
    const chosenSeed = settings.seed ?? this.seed;
    const seed = chosenSeed ?? freshSeed();
    this.lastFitSeed = seed;
    const callbacks = await assembleCallbacks({
      settings,
      verbose: settings.verbose ?? this.verbose,
      logger: this.options.logger,
      train,
      hasValidation: validation !== undefined,
      stop: () => (this.stopTraining = true),
      // Checkpoints hold the whole run's history (from a resumed checkpoint on) and the effective seed.
      checkpoint: settings.checkpoint ? async () => this.checkpointRun!.callback(seed) : undefined,
    });
    this.stopTraining = false;
    this.model.stopTraining = false;
    const run: FitRun = {
      plan: this.plan(setUp),
      optimizer: this.optimizer,
      settings,
      train,
      validation,
      inMemory,
      callbacks,
      seed,
      // Only a seed the caller chose (here or via `trainer.seed`) makes in-layer randomness
      // (Dropout, ...) reproducible; a run without one keeps TF.js's Math.random()-seeded draws.
      seededLayers: chosenSeed !== undefined,
      logger: this.logger,
      stopRequested: () => this.stopRequested(),
      epochDone: () => this.epochsCompleted++,
    };
    // `workers` spreads each batch's gradient over threads; the loop stays in charge of the rest.
    const pool = await startWorkers({ ...run, plugins: this.options.plugins ?? [] });
    try {
      return await runEpochs(pool ? { ...run, step: (batch, epoch, index) => pool.step(batch, epoch, index) } : run);
    } finally {
      await pool?.close();
    }
  }

  /**
   * Saves the model (loadable by plain tf.loadLayersModel), the optimizer state and the loss
   * specs by canonical name with their plugin packages, epoch counter, seed and options.
   * `target` is a directory path (Node: written into a missing or empty directory, or atomically
   * over a previous save; anything else there is refused with SaveTargetError), a tf.io URL
   * ('indexeddb://name', 'localstorage://name', 'downloads://name', ...) or a tf.io handler;
   * through tf.io the losskit manifest travels in the artifacts' userDefinedMetadata.
   * `options.history` (a History from `fit`, or its per-key record) is saved with it and comes
   * back as `savedHistory` after `Trainer.load`.
   */
  async save(target: TrainerLocation, options: SaveOptions = {}): Promise<void> {
    checkUsable(this, this.model, 'save');
    const extras = saveExtras(options, this.lastFitSeed ?? this.seed);
    await this.ready();
    await saveTrainerAt(this, target, extras);
  }

  /**
   * Restores a trainer written by `save` (a directory, a tf.io URL such as 'indexeddb://name' or
   * 'https://host/model/model.json', or a tf.io handler) or a checkpoint directory: model,
   * optimizer state, epoch counter, losses re-resolved by name (in Node discovering
   * conventionally named plugin packages; `plugins` adds packages the application trusts; the
   * saved list is never imported). What is read is checked as untrusted input.
   */
  static async load(source: TrainerLocation, options: TrainerLoadOptions = {}): Promise<Trainer> {
    return Trainer.owningOptimizer(await loadTrainerAt(source, options, fromSave));
  }

  /** Loads the newest complete checkpoint of the run in `checkpointDir` (or of `runId`; see `load`); fit on with `resume: true`. */
  static async resume(checkpointDir: string, options: TrainerLoadOptions & { runId?: string } = {}): Promise<Trainer> {
    return Trainer.owningOptimizer(await (await nodePersistence()).resumeTrainer(checkpointDir, options, fromSave));
  }

  /** The load built the optimizer, so `dispose` frees it; set only after success, as a failing load frees it itself. */
  private static owningOptimizer(trainer: Trainer): Trainer {
    trainer.ownsOptimizer = true;
    return trainer;
  }

  private stopRequested(): boolean {
    return this.stopTraining || this.model.stopTraining;
  }
}

/** Builds the trainer a load restores (the options are those a save records). */
const fromSave = (restored: RestoredTrainerOptions) => new Trainer(restored as RestoredTrainerOptions & TrainerOptions);

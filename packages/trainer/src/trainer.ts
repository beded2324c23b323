import * as tf from '@tensorflow/tfjs';
import type { SavedLossSpec } from '@losskit/core';
import { useOrSelectBackend, type BackendChoice, type BackendPreference } from './backend.js';
import { NonFiniteLossError, TrainerInputError } from './errors.js';
import { pickLogger, type Logger } from './logger.js';
import { describeOptimizer, resolveOptimizer, type OptimizerName } from './optimizer.js';
import { CallbackList, type Logs, type TrainerCallback } from './fit/callbacks.js';
import { disposeBatch, type TensorInput } from './fit/data.js';
import { earlyStoppingCallback, type EarlyStoppingOptions } from './fit/early-stopping.js';
import { createProgressCallback, type ProgressMode, type ProgressStream } from './progress/index.js';
import { resolveOutputLosses, type LossOption, type LossWeightsOption, type OutputLoss } from './fit/losses.js';
import { resolveMetrics, type MetricsOption, type OutputMetric } from './fit/metrics.js';
import { epochOrder, freshSeed } from './fit/shuffle.js';
import { withSeededMathRandom } from './fit/seeded-random.js';
import { ArraySource, DatasetSource, type BatchSource, type DatasetElement } from './fit/sources.js';
import { evalStep, logKeys, lossTermKeys, trainStep, type StepPlan, type StepResult } from './fit/step.js';
import type { ClassWeightOption, SampleWeightOption } from './fit/weights.js';
import { saveTrainer, type CheckpointOptions } from './persistence/index.js';
import { openCheckpointRun, type CheckpointRun } from './persistence/checkpoint-run.js';
import { loadTrainer, resumeTrainer, type RestoredTrainerOptions, type TrainerLoadOptions } from './persistence/trainer-load.js';

export interface TrainerOptions {
  model: tf.LayersModel;
  /** A name ('adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'; TF.js defaults) or an instance. */
  optimizer: OptimizerName | (string & {}) | tf.Optimizer;
  /** One spec for every output, an array in output order, or an object keyed by output name. */
  loss: LossOption;
  /** Factor of each output's loss in the total (array in output order or keyed by name); default 1. */
  lossWeights?: LossWeightsOption;
  /** TF.js metric strings ('accuracy', 'mae', ...) or losskit loss names; per output as for `loss`. */
  metrics?: MetricsOption;
  /** Default 'auto' (tfjs-node, else wasm, else cpu); LOSSKIT_BACKEND overrides 'auto'. */
  backend?: BackendPreference;
  /** Plugin packages to import before resolving loss names. */
  plugins?: readonly string[];
  /** Receives the trainer's notices (backend line, epoch lines); default stderr / stdout. */
  logger?: Logger;
  /** false silences the trainer completely. */
  verbose?: boolean;
}

export type { CheckpointOptions };

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
  /** One weight per sample (or per output: array or keyed by output name). */
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
  /** 0/false: no progress output. */
  verbose?: 0 | 1 | boolean;
  progress?: ProgressMode;
  /** Write `checkpoint.dir/epoch-000012/` atomically every `everyEpochs` (default 1), keeping the last `keep` (default 3). */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from the newest complete checkpoint in `checkpoint.dir` (weights, optimizer state,
   * epoch counter, seed); starts from scratch when there is none yet. `initialEpoch` is ignored.
   */
  resume?: boolean;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

type Fitted = { tensors: TensorInput; targets: TensorInput } | { dataset: tf.data.Dataset<tf.TensorContainer> };

interface Prepared {
  plan: StepPlan;
  specs: SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec>;
  backend: BackendChoice;
}

/**
 * Fits a tf.LayersModel with losses resolved by name, with its own training loop: sample and
 * class weights, per-output losses and loss weights, NaN guards, seeded shuffling.
 *
 *   const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse' });
 *   const { history } = await trainer.fit(x, y, { epochs: 10, batchSize: 32, seed: 1 });
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
  /** Loss factor per output, in output order. */
  get lossWeights(): readonly number[] {
    return this.prepared().plan.losses.map((l) => l.weight);
  }
  /**
   * Epochs this model has been trained for in total: each finished epoch adds one, whatever
   * `initialEpoch` says, so it never decreases (a loaded trainer at 3 is at 5 after
   * `fit({ epochs: 2 })`). `resume` sets it to the checkpoint's.
   */
  epochsCompleted = 0;
  /** Set to true (e.g. from a callback) to stop after the current batch. */
  stopTraining = false;
  /**
   * The seed `fit` uses when its options give none. `Trainer.load` sets it to the seed of the
   * saved trainer's last fit, so a loaded trainer continues that run deterministically.
   */
  seed: number | string | undefined;

  private readonly logger: Logger;
  private readiness: Promise<Prepared> | undefined;
  private ready_: Prepared | undefined;
  private running = false;
  /** The checkpoint directory this fit writes to (its lock, run id, resumed history); only while a fit runs. */
  private checkpointRun: CheckpointRun | undefined;
  /** The seed the last fit used (given, or drawn for it); `save` records it. */
  private lastFitSeed: number | string | undefined;

  constructor(private readonly options: TrainerOptions) {
    if (!options || !(options.model instanceof tf.LayersModel)) {
      throw new TrainerInputError(`new Trainer({ model, optimizer, loss }): model must be a tf.LayersModel (e.g. from tf.sequential() or tf.loadLayersModel()).`);
    }
    this.model = options.model;
    // A Sequential model builds its inner graph (input/output names) lazily, on first use.
    if (this.model instanceof tf.Sequential && this.model.inputNames.length === 0 && this.model.inputs.length > 0) this.model.build();
    this.optimizer = resolveOptimizer(options.optimizer);
    this.logger = pickLogger(options.logger, options.verbose);
    this.constructorOptions = {
      optimizer: typeof options.optimizer === 'string' ? options.optimizer.toLowerCase() : describeOptimizer(this.optimizer),
      loss: options.loss,
      ...(options.lossWeights !== undefined ? { lossWeights: options.lossWeights } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
    };
  }

  /** Selects the backend and resolves losses and metrics; `fit` calls it, call it to fail early. */
  ready(): Promise<this> {
    this.readiness ??= this.prepare().then((prepared) => (this.ready_ = prepared));
    return this.readiness.then(() => this);
  }

  /** The resolved loss specs (canonical names, options filled in), shaped like the `loss` option. */
  get lossSpecs(): SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec> {
    return this.prepared().specs;
  }

  /** History keys of the metrics. */
  get metricNames(): string[] {
    return this.prepared().plan.metrics.map((m) => m.key);
  }

  /** History keys of a training epoch: 'loss', each loss term, each metric. */
  get logKeys(): string[] {
    return logKeys(this.prepared().plan);
  }

  get backend(): BackendChoice {
    return this.prepared().backend;
  }

  fit(dataset: tf.data.Dataset<tf.TensorContainer>, options?: FitOptions): Promise<History>;
  fit(x: TensorInput, y: TensorInput, options?: FitOptions): Promise<History>;
  async fit(
    x: TensorInput | tf.data.Dataset<tf.TensorContainer>,
    yOrOptions?: TensorInput | FitOptions,
    maybeOptions?: FitOptions,
  ): Promise<History> {
    const data: Fitted = isDataset(x)
      ? { dataset: x }
      : { tensors: x, targets: yOrOptions as TensorInput };
    const options = (isDataset(x) ? yOrOptions : maybeOptions) as FitOptions | undefined ?? {};
    if (this.running) throw new TrainerInputError('fit: this trainer is already fitting; await the running fit first.');
    this.running = true;
    const sources: BatchSource[] = [];
    try {
      await this.ready();
      const resumed = await this.resumeFromCheckpoint(options);
      if (!resumed) return { epoch: [], history: {} };
      return await this.runFit(data, resumed, sources);
    } finally {
      await this.checkpointRun?.close();
      this.checkpointRun = undefined;
      for (const source of sources) source.dispose();
      this.running = false;
    }
  }

  /** Losses and metrics over data in inference mode, with the same keys as a training epoch. */
  async evaluate(x: TensorInput, y: TensorInput, options: { batchSize?: number; sampleWeight?: SampleWeightOption } = {}): Promise<Logs> {
    await this.ready();
    const batchSize = checkBatchSize(options.batchSize ?? 32);
    const source = ArraySource.from(this.model, x, y, { sampleWeight: options.sampleWeight }, this.targetCheck(), 'evaluate');
    try {
      return await this.evaluateSource(source, batchSize, '');
    } finally {
      source.dispose();
    }
  }

  /** Frees the resolved loss plugins (not the model or optimizer, which the caller owns). */
  dispose(): void {
    if (!this.ready_) return;
    for (const term of this.ready_.plan.losses) term.loss.dispose();
    for (const metric of this.ready_.plan.metrics) metric.dispose();
  }

  private async prepare(): Promise<Prepared> {
    // Reuses a backend already selected (e.g. by `await selectBackend()` before building the model).
    const backend = await useOrSelectBackend(this.options.backend ?? 'auto', { model: this.model, logger: this.logger });
    const { terms, specs } = await resolveOutputLosses(this.model, this.options.loss, this.options.lossWeights, this.options.plugins);
    const metrics = await resolveMetrics(this.model, this.options.metrics, terms, this.options.plugins);
    return { plan: { model: this.model, losses: terms, metrics }, specs, backend };
  }

  private prepared(): Prepared {
    if (!this.ready_) throw new TrainerInputError('The trainer is not ready yet: `await trainer.ready()` (or a fit) first.');
    return this.ready_;
  }

  private async runFit(data: Fitted, options: FitOptions, sources: BatchSource[]): Promise<History> {
    const { plan } = this.prepared();
    const settings = checkFitOptions(options, 'tensors' in data);
    const train = this.trainingSource(data, options, settings.validationSplit, sources);
    const validation = this.validationSource(options, train.validation, sources);
    const keys = logKeys(plan);
    const chosenSeed = options.seed ?? this.seed;
    const seed = chosenSeed ?? freshSeed();
    this.lastFitSeed = seed;
    // Only a seed the caller chose (here or via `trainer.seed`) makes in-layer randomness
    // (Dropout, ...) reproducible; a run without one keeps TF.js's Math.random()-seeded draws.
    const step = chosenSeed === undefined
      ? (_epoch: number, _batch: number, run: () => StepResult) => run()
      : (epoch: number, batch: number, run: () => StepResult) => withSeededMathRandom(seed, epoch, batch, run);
    const order = 'tensors' in data && settings.shuffle ? (epoch: number) => (size: number) => epochOrder(size, seed, epoch) : () => undefined;
    const callbacks = await this.callbacksFor(options, settings, train.source, validation !== undefined, seed);
    const history: History = { epoch: [], history: {} };
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);

    this.stopTraining = false;
    this.model.stopTraining = false;
    callbacks.init(this.model, { epochs: settings.epochs, initialEpoch: settings.initialEpoch, samples: train.source.size, batchSize: settings.batchSize, metrics: keys });
    // Per-batch logs are built and awaited only for callbacks that want them: the step is hot.
    const batchHooks = callbacks.hasBatchHooks;
    await callbacks.trainBegin({});
    for (let epoch = settings.initialEpoch; epoch < settings.epochs && !this.stopRequested(); epoch++) {
      await callbacks.epochBegin(epoch);
      const sums = new Float64Array(keys.length);
      let samples = 0;
      let skipped = 0;
      let batchIndex = 0;
      for await (const batch of train.source.batches(epoch, settings.batchSize, order(epoch))) {
        let result;
        try {
          if (batchHooks) await callbacks.batchBegin(batchIndex, {});
          result = step(epoch, batchIndex, () => trainStep(plan, this.optimizer, variables, batch));
        } finally {
          disposeBatch(batch);
        }
        if (!result.applied) {
          if (settings.nanPolicy === 'throw') throw nonFinite(plan, result.values, epoch, batchIndex);
          skipped++;
        } else {
          for (let k = 0; k < keys.length; k++) sums[k]! += result.values[k]! * batch.size;
          samples += batch.size;
        }
        if (batchHooks) await callbacks.batchEnd(batchIndex, toLogs(keys, result.values));
        batchIndex++;
        if (this.stopRequested()) break;
      }
      if (batchIndex === 0) throw new TrainerInputError('fit: the dataset yielded no batches; check that it is not empty or already exhausted.');
      if (skipped) this.logger(`[losskit] epoch ${epoch + 1}: skipped ${skipped} batch(es) with a non-finite loss (nanPolicy 'skip-batch').`);
      const logs = toLogs(keys, Array.from(sums, (sum) => sum / samples));
      if (validation) Object.assign(logs, await this.evaluateSource(validation, settings.batchSize, 'val_'));
      history.epoch.push(epoch);
      for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
      this.epochsCompleted++;
      await callbacks.epochEnd(epoch, logs);
    }
    await callbacks.trainEnd({});
    return history;
  }

  private async evaluateSource(source: BatchSource, batchSize: number, prefix: string): Promise<Logs> {
    const { plan } = this.prepared();
    const keys = logKeys(plan);
    const sums = new Float64Array(keys.length);
    let samples = 0;
    for await (const batch of source.batches(0, batchSize, undefined)) {
      try {
        const values = evalStep(plan, batch);
        for (let k = 0; k < keys.length; k++) sums[k]! += values[k]! * batch.size;
        samples += batch.size;
      } finally {
        disposeBatch(batch);
      }
    }
    return Object.fromEntries(keys.map((key, k) => [`${prefix}${key}`, sums[k]! / samples]));
  }

  private trainingSource(data: Fitted, options: FitOptions, validationSplit: number, sources: BatchSource[]): { source: BatchSource; validation?: BatchSource } {
    if ('dataset' in data) {
      if (options.sampleWeight) throw new TrainerInputError('fit: with a dataset, put sample weights in its elements ({ xs, ys, sampleWeight }) instead of the sampleWeight option.');
      if (validationSplit) throw new TrainerInputError('fit: validationSplit needs in-memory tensors; with a dataset pass validationData.');
      const source = new DatasetSource(this.model, data.dataset, options.classWeight, this.targetCheck());
      sources.push(source);
      return { source };
    }
    const all = ArraySource.from(this.model, data.tensors, data.targets, options, this.targetCheck(), 'fit');
    // Registered before splitting, so the tensors it owns are freed if the split is refused.
    sources.push(all);
    if (!validationSplit) return { source: all };
    const { train, validation } = all.split(validationSplit);
    sources.push(train, validation);
    return { source: train, validation };
  }

  private validationSource(options: FitOptions, fromSplit: BatchSource | undefined, sources: BatchSource[]): BatchSource | undefined {
    const given = options.validationData;
    if (!given) return fromSplit;
    if (fromSplit) throw new TrainerInputError('fit: pass either validationSplit or validationData, not both.');
    let source: BatchSource;
    if (isDataset(given)) source = new DatasetSource(this.model, given, undefined, this.targetCheck());
    else {
      if (!Array.isArray(given) || given.length < 2) throw new TrainerInputError('fit: validationData must be [x, y], [x, y, sampleWeight] or a tf.data.Dataset.');
      const [vx, vy, vw] = given as readonly [TensorInput, TensorInput, SampleWeightOption?];
      source = ArraySource.from(this.model, vx, vy, { sampleWeight: vw }, this.targetCheck(), 'fit: validationData');
    }
    sources.push(source);
    return source;
  }

  private async callbacksFor(options: FitOptions, settings: FitSettings, train: BatchSource, hasValidation: boolean, seed: number | string): Promise<CallbackList> {
    const user = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? [...options.callbacks] : [options.callbacks as TrainerCallback];
    const list: TrainerCallback[] = [...user];
    if (options.earlyStopping) {
      const early = options.earlyStopping === true ? {} : options.earlyStopping;
      list.push(earlyStoppingCallback(early, hasValidation ? 'val_loss' : 'loss', () => (this.stopTraining = true)));
    }
    if (options.checkpoint) list.push(await this.checkpointCallback(options.checkpoint, seed));
    const silent = options.verbose === 0 || options.verbose === false || this.options.verbose === false;
    const mode = silent ? 'silent' : options.progress ?? 'auto';
    if (mode !== 'silent') {
      const logger = this.options.logger;
      const stream: ProgressStream | undefined = logger ? { write: (chunk) => logger(chunk.replace(/\n$/, '')) } : undefined;
      list.push(
        createProgressCallback(mode, {
          totalEpochs: settings.epochs,
          batchesPerEpoch: train.size === undefined ? 0 : Math.ceil(train.size / settings.batchSize),
          samplesPerEpoch: train.size ?? 0,
          ...(stream ? { stream } : {}),
        }),
      );
    }
    return new CallbackList(list);
  }

  // Checkpoints hold the whole run's history (from a resumed checkpoint on) and the effective seed.
  private async checkpointCallback(_options: CheckpointOptions, seed: number | string): Promise<TrainerCallback> {
    return this.checkpointRun!.callback(seed);
  }

  /**
   * Opens the fit's checkpoint directory (lock, run id) and, with `resume`, restores the run's
   * newest checkpoint into this trainer; the fit options to continue with, or undefined if the
   * run is complete.
   */
  private async resumeFromCheckpoint(options: FitOptions): Promise<FitOptions | undefined> {
    if (!options.checkpoint) {
      if (options.resume) throw new TrainerInputError("fit: resume: true needs checkpoint: { dir } to resume from.");
      return options;
    }
    const resume = options.resume === true;
    this.checkpointRun = await openCheckpointRun(this, options.checkpoint, { resume, epochs: options.epochs ?? 1, logger: this.logger });
    const resumed = this.checkpointRun.resumed;
    if (!resume) return options;
    if (!resumed) return { ...options, initialEpoch: 0 };
    if (resumed.complete) return undefined;
    const seed = options.seed ?? resumed.seed;
    return { ...options, initialEpoch: resumed.nextEpoch, ...(seed !== undefined ? { seed } : {}) };
  }

  /**
   * Writes the model (loadable by plain tf.loadLayersModel), the optimizer state and the loss
   * specs by canonical name with their plugin packages to `dir`: into a missing or empty
   * directory, or atomically over a previous save; anything else there is refused (SaveTargetError).
   */
  async save(dir: string): Promise<void> {
    await this.ready();
    const seed = this.lastFitSeed ?? this.seed;
    await saveTrainer(this, dir, seed !== undefined ? { seed } : {});
  }

  /**
   * Restores a trainer written by `save` or a checkpoint directory: model, optimizer state, epoch
   * counter, losses re-resolved by name (discovering conventionally named plugin packages;
   * `plugins` adds packages the application trusts; the saved list is never imported).
   */
  static load(dir: string, options: TrainerLoadOptions = {}): Promise<Trainer> {
    return loadTrainer(dir, options, (restored) => new Trainer(restored as RestoredTrainerOptions & TrainerOptions));
  }

  /** Loads the newest complete checkpoint of the run in `checkpointDir` (or of `runId`; see `load`); fit on with `resume: true`. */
  static resume(checkpointDir: string, options: TrainerLoadOptions & { runId?: string } = {}): Promise<Trainer> {
    return resumeTrainer(checkpointDir, options, (restored) => new Trainer(restored as RestoredTrainerOptions & TrainerOptions));
  }

  private stopRequested(): boolean {
    return this.stopTraining || this.model.stopTraining;
  }

  /** Whether output i's loss accepts targets y whose shape differs from the output's (sparse labels). */
  private targetCheck(): (outputIndex: number, y: tf.Tensor) => string | undefined {
    const { plan } = this.prepared();
    return (outputIndex, y) => {
      const outputShape = this.model.outputs[outputIndex]!.shape.slice(1);
      if (outputShape.some((dim) => dim === null)) return 'the output has unknown dimensions';
      const term = plan.losses.find((l) => l.outputIndex === outputIndex);
      if (!term) return undefined;
      try {
        tf.tidy(() => {
          const sample = tf.slice(y, y.shape.map(() => 0), y.shape.map((dim, axis) => (axis === 0 ? 1 : dim)));
          term.loss.perSample(sample, tf.zeros([1, ...(outputShape as number[])]));
        });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
  }
}

interface FitSettings {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  nanPolicy: 'throw' | 'skip-batch';
}

const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'silent'];

function checkFitOptions(options: FitOptions, inMemory: boolean): FitSettings {
  if (typeof options !== 'object' || options === null) throw new TrainerInputError('fit: options must be an object such as { epochs: 10, batchSize: 32 }.');
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(epochs) || epochs < 1) throw new TrainerInputError(`fit: epochs must be a whole number >= 1 (got ${String(options.epochs)}).`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new TrainerInputError(`fit: initialEpoch must be a whole number >= 0 (got ${String(options.initialEpoch)}).`);
  if (initialEpoch >= epochs) {
    throw new TrainerInputError(`fit: initialEpoch (${initialEpoch}) must be below epochs (${epochs}); epochs is the index of the last epoch + 1, as in Keras.`);
  }
  const batchSize = inMemory || options.batchSize !== undefined ? checkBatchSize(options.batchSize ?? 32) : 32;
  const validationSplit = options.validationSplit ?? 0;
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new TrainerInputError(`fit: validationSplit must be a number in [0, 1) (got ${String(options.validationSplit)}), e.g. 0.2 for the last 20%.`);
  }
  const nanPolicy = options.nanPolicy ?? 'throw';
  if (nanPolicy !== 'throw' && nanPolicy !== 'skip-batch') throw new TrainerInputError(`fit: nanPolicy must be 'throw' or 'skip-batch' (got ${String(nanPolicy)}).`);
  if (options.progress !== undefined && !PROGRESS_MODES.includes(options.progress)) {
    throw new TrainerInputError(`fit: progress must be one of ${PROGRESS_MODES.join(', ')} (got ${String(options.progress)}).`);
  }
  return { epochs, initialEpoch, batchSize, validationSplit, shuffle: options.shuffle ?? true, nanPolicy };
}

function checkBatchSize(batchSize: unknown): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new TrainerInputError(`batchSize must be a whole number >= 1 (got ${String(batchSize)}); 32 is a common choice.`);
  }
  return batchSize;
}

function isDataset(value: unknown): value is tf.data.Dataset<tf.TensorContainer> {
  return typeof value === 'object' && value !== null && !(value instanceof tf.Tensor) && typeof (value as { iterator?: unknown }).iterator === 'function';
}

function toLogs(keys: readonly string[], values: ArrayLike<number>): Logs {
  return Object.fromEntries(keys.map((key, k) => [key, values[k]!]));
}

function nonFinite(plan: StepPlan, values: ArrayLike<number>, epoch: number, batch: number): NonFiniteLossError {
  // Name the loss term that went bad, not just the total (index 0) it spoils. Values 1.. follow
  // lossTermKeys; a sum's own term is the most precise name, so it wins over the sum.
  const keys = lossTermKeys(plan);
  const parts = new Set(plan.losses.flatMap((l) => l.partKeys));
  const bad = keys.map((key, k) => ({ key, value: values[k + 1]! })).filter(({ value }) => !Number.isFinite(value));
  const worst = bad.find(({ key }) => parts.has(key)) ?? bad[0];
  if (worst) return new NonFiniteLossError(worst.key, worst.value, epoch, batch);
  return new NonFiniteLossError('loss (regularization penalties)', values[0]!, epoch, batch);
}

export type { DatasetElement, OutputLoss, OutputMetric };

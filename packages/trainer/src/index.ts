// The public surface of @losskit/trainer, listed name by name. Power tools live on subpaths:
// '@losskit/trainer/persistence' (checkpoint and save-file functions), '/progress' (the
// progress callback), '/plot' (SVG/PNG rendering of a history).
export { Trainer } from './trainer.js';
export type { TrainerOptions } from './trainer.js';
export type { FitOptions, EvaluateOptions, PredictOptions, ValidationData, VerboseOption, Verbosity, WorkersOption } from './fit/settings.js';
export { WorkerFailedError } from './fit/parallel-errors.js';
export type { History } from './fit/loop.js';
export type { YieldEvery } from './fit/yielder.js';
export type { CheckpointOptions } from './persistence/index.js';
export type { DatasetElement } from './fit/sources.js';
export type { TensorInput, NestedNumbers } from './fit/data.js';
export { selectBackend, useOrSelectBackend, BACKEND_ENV_VAR } from './backend.js';
export type { BackendChoice, BackendName, BackendPreference, SelectBackendOptions } from './backend.js';
export {
  TrainerInputError,
  UnknownOptimizerError,
  UnknownMetricError,
  BackendUnavailableError,
  NonFiniteLossError,
  AllBatchesSkippedError,
  PlotInputError,
} from './errors.js';
export {
  TrainerFileError,
  TrainerFileSystemError,
  SaveTargetError,
  CheckpointLockedError,
  MissingLossPluginError,
  fileSystemIO,
  type LockHolder,
  type TrainerLoadOptions,
} from './persistence/index.js';
export { resolveOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optimizer.js';
export type { Logger } from './logger.js';
export type { Logs, TrainerCallback } from './fit/callbacks.js';
export type { EarlyStoppingOptions } from './fit/early-stopping.js';
export type { SampleWeightOption, ClassWeightOption, ClassWeightMap } from './fit/weights.js';
export type { LossOption, LossWeightsOption } from './fit/compiled-loss.js';
export { meanMetric, type Metric, type MetricsOption } from './fit/compiled-metrics.js';
export { plotHistory, type PlotHistoryInput, type PlotOptions } from './plot/index.js';
// Learning-rate schedules, the training optimizer (clipping, accumulation) and training callbacks.
export { createSchedule, SCHEDULE_NAMES, type ScheduleName, type ScheduleSpec, type LearningRateOption, type LearningRateSchedule } from './schedules/spec.js';
export { ScheduleError, OptimizerOptionsError } from './optim/errors.js';
export { TrainingOptimizer, type TrainingOptimizerOptions } from './optim/training-optimizer.js';
export type { GradientOptions } from './optim/options.js';
export {
  ReduceLROnPlateau,
  LearningRateScheduler,
  CsvLogger,
  TensorBoard,
  SaveBest,
  currentLearningRate,
  setLearningRate,
  type ReduceLROnPlateauOptions,
  type PlateauState,
  type CsvLoggerOptions,
  type TensorBoardOptions,
  type SaveBestOptions,
  type Saveable,
  type MonitorMode,
} from './callbacks/index.js';
export { resolveCompileMetric, accuracyKindFor } from './metrics/compile-metric.js';

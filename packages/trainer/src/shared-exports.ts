// What both entries of @losskit/trainer export: everything that runs in a browser as well as in
// Node. Nothing here may import a Node built-in or a Node-only package, directly or through a
// module it imports (test/browser/bundle.test.ts bundles it for the browser). The Node-only
// parts (file-system persistence, TTY bars) are reached through the package's `#node-*`
// imports, which resolve to browser stand-ins under the "default" condition.
export { Trainer } from './trainer.js';
export type { TrainerOptions, SaveOptions } from './trainer.js';
export type { FitOptions, EvaluateOptions, PredictOptions, ValidationData, VerboseOption, Verbosity, WorkersOption } from './fit/settings.js';
export { WorkerFailedError } from './fit/parallel-errors.js';
export type { History } from './fit/loop.js';
export type { YieldEvery } from './fit/yielder.js';
export type { CheckpointOptions } from './persistence/checkpoints.js';
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
export { TrainerFileError, MissingLossPluginError } from './persistence/errors.js';
// Raised by the file-system persistence only; a module of their own, so a page that never catches them bundles none of it.
export { TrainerFileSystemError, SaveTargetError, CheckpointLockedError, type LockHolder } from './persistence/fs-errors.js';
export type { TrainerLoadOptions } from './persistence/build-trainer.js';
export type { TrainerLocation } from './persistence/location.js';
export type { HistoryRecord } from './persistence/manifest.js';
export { saveModelWithLoss, loadModelWithLoss, type ModelWithLoss } from './persistence/model-with-loss.js';
export { resolveOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optimizer.js';
export type { Logger } from './logger.js';
export type { Logs, TrainerCallback } from './fit/callbacks.js';
export type { EarlyStoppingOptions } from './fit/early-stopping.js';
export type { SampleWeightOption, ClassWeightOption, ClassWeightMap } from './fit/weights.js';
export type { LossOption, LossWeightsOption } from './fit/compiled-loss.js';
export { meanMetric, type Metric, type MetricsOption } from './fit/compiled-metrics.js';
export type { PlotHistoryInput, PlotOptions } from './plot/index.js';
// Learning-rate schedules, the training optimizer (clipping, accumulation) and training callbacks.
export { createSchedule, SCHEDULE_NAMES, type ScheduleName, type ScheduleSpec, type LearningRateOption, type LearningRateSchedule } from './schedules/spec.js';
export { ScheduleError, OptimizerOptionsError } from './optim/errors.js';
export { TrainingOptimizer, type TrainingOptimizerOptions } from './optim/training-optimizer.js';
export type { GradientOptions } from './optim/options.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions, type PlateauState } from './callbacks/reduce-lr-on-plateau.js';
export { LearningRateScheduler } from './callbacks/learning-rate-scheduler.js';
export { SaveBest, type SaveBestOptions, type Saveable } from './callbacks/save-best.js';
export { currentLearningRate, setLearningRate } from './callbacks/learning-rate-control.js';
export type { MonitorMode } from './callbacks/monitor.js';
export type { CsvLoggerOptions } from './callbacks/csv-logger.js';
export type { TensorBoardOptions } from './callbacks/tensorboard.js';
export { resolveCompileMetric, accuracyKindFor } from './metrics/compile-metric.js';

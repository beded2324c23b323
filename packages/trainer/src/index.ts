export { Trainer } from './trainer.js';
export type { TrainerOptions, FitOptions, History, ValidationData, CheckpointOptions, DatasetElement } from './trainer.js';
export { selectBackend, useOrSelectBackend, BACKEND_ENV_VAR } from './backend.js';
export type { BackendChoice, BackendName, BackendPreference, SelectBackendOptions } from './backend.js';
export { TrainerInputError, UnknownOptimizerError, BackendUnavailableError, NonFiniteLossError } from './errors.js';
export { resolveOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optimizer.js';
export type { Logger } from './logger.js';
export type { Logs, TrainerCallback } from './fit/callbacks.js';
export type { EarlyStoppingOptions } from './fit/early-stopping.js';
export type { TensorInput } from './fit/data.js';
export type { SampleWeightOption, ClassWeightOption, ClassWeightMap } from './fit/weights.js';
export type { LossOption, LossWeightsOption } from './fit/losses.js';
export type { MetricsOption } from './fit/metrics.js';
export { epochOrder } from './fit/shuffle.js';
// Persistence, progress and plots (src/persistence, src/progress, src/plot).
export * from './persistence/index.js';
export * from './progress/index.js';
export * from './plot/index.js';
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

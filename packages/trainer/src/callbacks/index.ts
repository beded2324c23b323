export { ReduceLROnPlateau, type ReduceLROnPlateauOptions, type PlateauState } from './reduce-lr-on-plateau.js';
export { LearningRateScheduler } from './learning-rate-scheduler.js';
export { CsvLogger, type CsvLoggerOptions } from './csv-logger.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard.js';
export { SaveBest, type SaveBestOptions, type Saveable } from './save-best.js';
export { currentLearningRate, setLearningRate } from './learning-rate-control.js';
export type { MonitorMode } from './monitor.js';

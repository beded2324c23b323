export { fileSystemIO } from './fs-model-io.js';
export { MissingLossPluginError, TrainerFileError } from './errors.js';
export { CheckpointLockedError, SaveTargetError, TrainerFileSystemError, type LockHolder } from './fs-errors.js';
export {
  saveTrainer,
  readTrainerManifest,
  FORMAT_VERSION,
  TRAINER_JSON,
  type SavableTrainer,
  type SaveExtras,
  type SavedLossSpecs,
  type HistoryRecord,
  type TrainerManifest,
} from './trainer-files.js';
export { savedSpecsIn, type LoadTrainerOptions } from './loss-check.js';
export { loadTrainerState, type LoadedTrainerState } from './restore.js';
export { READ_LIMITS } from './safe-read.js';
export type { SavedOptimizer } from './optimizer-state.js';
export {
  checkpointName,
  listCheckpoints,
  listRuns,
  latestCheckpoint,
  cleanCheckpointLeftovers,
  type CheckpointOptions,
  type CheckpointInfo,
} from './checkpoints.js';
export { LOCK_FILE } from './run-lock.js';
export { recoverInterruptedSave, type RecoveredSave } from './recover-save.js';
export type { TrainerLoadOptions } from './trainer-load.js';

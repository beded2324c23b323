export { fileSystemIO } from './fs-model-io.js';
export { MissingLossPluginError, TrainerFileError } from './errors.js';
export {
  saveTrainer,
  loadTrainerState,
  readTrainerManifest,
  savedSpecsIn,
  FORMAT_VERSION,
  TRAINER_JSON,
  type SavableTrainer,
  type SaveExtras,
  type SavedLossSpecs,
  type HistoryRecord,
  type TrainerManifest,
  type LoadedTrainerState,
  type LoadTrainerOptions,
} from './trainer-files.js';
export type { SavedOptimizer } from './optimizer-state.js';
export {
  checkpointName,
  listCheckpoints,
  latestCheckpoint,
  writeCheckpoint,
  pruneCheckpoints,
  cleanCheckpointLeftovers,
  loadLatestCheckpoint,
  createCheckpointCallback,
  type CheckpointOptions,
  type CheckpointInfo,
  type CheckpointCallbackOptions,
} from './checkpoints.js';
export { restoreLatestCheckpoint, type RestorableTrainer, type RestoredRun } from './resume.js';
export { recoverInterruptedSave, type RecoveredSave } from './recover-save.js';

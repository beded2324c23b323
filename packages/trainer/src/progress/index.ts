export {
  createProgressCallback,
  type ProgressMode,
  type ProgressSettings,
  type ProgressStream,
  type ProgressCallback,
} from './progress-callback.js';

// The trainer's file-system persistence, as the Trainer reaches it: through the package import
// '#node-persistence', which resolves here under the "node" condition and to
// no-file-system.ts everywhere else, and only by a dynamic import on a path that needs files.
// So a browser bundle never holds node:fs, and Node loads this only when something is saved.
export { saveTrainer } from './trainer-files.js';
export { loadTrainer, resumeTrainer } from './trainer-load.js';
export { openCheckpointRun } from './checkpoint-run.js';
export { saveModelFiles, loadModelFiles } from './model-files.js';

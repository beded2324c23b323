/**
 * The checkpoint side of starting a fit: opens the fit's checkpoint directory (its lock and run
 * id) and, with `resume`, restores the run's newest checkpoint into the trainer and says where
 * the fit continues. The file-system part is imported on demand (route.ts), so this module is
 * browser-safe; there a `checkpoint` option fails with the no-file-system message.
 */
import { TrainerInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FitOptions } from '../fit/settings.js';
import type { CheckpointRun, RunTrainer } from './checkpoint-run.js';
import { nodePersistence } from './route.js';

export interface FitCheckpoint {
  /** The open checkpoint run (undefined without a `checkpoint` option); the caller closes it. */
  run: CheckpointRun | undefined;
  /** The options to fit with (`initialEpoch` and `seed` from the checkpoint), or undefined when the run is already complete. */
  options: FitOptions | undefined;
}

export async function openFitCheckpoint(trainer: RunTrainer, options: FitOptions, logger: Logger): Promise<FitCheckpoint> {
  if (!options.checkpoint) {
    if (options.resume) throw new TrainerInputError('fit: resume: true needs checkpoint: { dir } to resume from.');
    return { run: undefined, options };
  }
  const resume = options.resume === true;
  const run = await (await nodePersistence()).openCheckpointRun(trainer, options.checkpoint, { resume, epochs: options.epochs ?? 1, logger });
  const resumed = run.resumed;
  if (!resume) return { run, options };
  if (!resumed) return { run, options: { ...options, initialEpoch: 0 } };
  if (resumed.complete) return { run, options: undefined };
  const seed = options.seed ?? resumed.seed;
  return { run, options: { ...options, initialEpoch: resumed.nextEpoch, ...(seed !== undefined ? { seed } : {}) } };
}

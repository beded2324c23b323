import type * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { TrainerInputError } from '../errors.js';
import { pickLogger, type Logger } from '../logger.js';
import { describeRuns, latestCheckpoint, listCheckpoints } from './checkpoints.js';
import { TrainerFileError } from './errors.js';
import type { LoadTrainerOptions } from './loss-check.js';
import { recoverInterruptedSave } from './recover-save.js';
import { loadTrainerState, type LoadedTrainerState } from './restore.js';
import { acquireRunLock } from './run-lock.js';

/** Options of `Trainer.load` / `Trainer.resume`. */
export interface TrainerLoadOptions extends LoadTrainerOptions {
  logger?: Logger;
  verbose?: boolean | 0 | 1 | 2;
  /** Overrides the backend recorded in the save. */
  backend?: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

/** What a trainer is built from after a load (the subset of TrainerOptions a save restores). */
export interface RestoredTrainerOptions {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  loss: LoadedTrainerState['lossSpecs'];
  lossWeights?: readonly number[];
  metrics?: LoadedTrainerState['metrics'];
  backend?: TrainerLoadOptions['backend'];
  plugins?: readonly string[];
  logger?: Logger;
  verbose?: boolean | 0 | 1 | 2;
}

/** The parts of a Trainer that loading sets; the factory keeps this module free of the Trainer class. */
export interface LoadableTrainer {
  epochsCompleted: number;
  seed: number | string | undefined;
  ready(): Promise<unknown>;
  dispose(): void;
}

/**
 * Restores a trainer written by `save` or a checkpoint directory. A save killed between its two
 * renames is put back first (the one write a load may do). Only the application's `plugins`
 * are imported; the list recorded in the save is not.
 */
export async function loadTrainer<T extends LoadableTrainer>(
  dir: string,
  options: TrainerLoadOptions,
  build: (options: RestoredTrainerOptions) => T,
): Promise<T> {
  const recovered = await recoverInterruptedSave(dir);
  if (recovered) {
    const which = recovered.which === 'new' ? 'the new save' : 'the previous save';
    pickLogger(options.logger, options.verbose)(
      `[losskit] ${dir} was missing after an interrupted save; restored ${which} from ${path.basename(recovered.from)}` +
        (recovered.removed.length ? ` and removed ${recovered.removed.join(', ')}` : ''),
    );
  }
  const state = await loadTrainerState(dir, options.plugins ? { plugins: options.plugins } : {}).catch(async (error: unknown) => {
    throw (await isCheckpointRoot(dir, error)) ? new TrainerFileError(`${path.resolve(dir)} is a checkpoint directory, not a save: load it with Trainer.resume('${dir}').`) : error;
  });
  const backend = options.backend ?? state.trainer.backend;
  let trainer: T | undefined;
  try {
    trainer = build({
      model: state.model,
      optimizer: state.optimizer,
      loss: state.lossSpecs,
      ...(state.lossWeights !== undefined ? { lossWeights: state.lossWeights } : {}),
      ...(state.metrics !== undefined ? { metrics: state.metrics } : {}),
      ...(backend !== undefined ? { backend } : {}),
      ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.verbose !== undefined ? { verbose: options.verbose } : {}),
    });
    trainer.epochsCompleted = state.epochsCompleted;
    trainer.seed = state.seed;
    await trainer.ready();
  } catch (error) {
    trainer?.dispose();
    state.model.dispose();
    state.optimizer.dispose();
    throw error;
  }
  return trainer;
}

/**
 * Loads the newest complete checkpoint of a run in `root` (the only run, or `runId`) under the
 * directory's lock, so a live run writing there is reported instead of read half-way.
 */
export async function resumeTrainer<T extends LoadableTrainer>(
  root: string,
  options: TrainerLoadOptions & { runId?: string },
  build: (options: RestoredTrainerOptions) => T,
): Promise<T> {
  const { runId, ...loadOptions } = options;
  const latest = await latestCheckpoint(root, runId);
  if (!latest) {
    const runs = runId === undefined ? '' : ` of run '${runId}'. ${await describeRuns(root)}`;
    throw new TrainerInputError(`Trainer.resume: no complete checkpoint in ${root}${runs}; start the run with fit({ checkpoint: { dir } }) first.`);
  }
  const lock = await acquireRunLock(path.resolve(root), latest.runId, 'Trainer.resume');
  try {
    return await loadTrainer(latest.dir, loadOptions, build);
  } finally {
    await lock.release();
  }
}

/** A missing losskit.json in a directory of run subdirectories: the user meant Trainer.resume. */
async function isCheckpointRoot(dir: string, error: unknown): Promise<boolean> {
  if (!(error instanceof TrainerFileError) || !/losskit\.json .*does not exist/.test(error.message)) return false;
  return (await listCheckpoints(dir).catch(() => [])).length > 0;
}

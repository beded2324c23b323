import type * as tf from '@tensorflow/tfjs';
import type { BackendPreference } from '../backend.js';
import { BackendUnavailableError } from '../errors.js';
import { pickLogger, type Logger } from '../logger.js';
import type { LoadTrainerOptions } from './loss-check.js';
import type { HistoryRecord } from './manifest.js';
import type { LoadedTrainerState } from './restore-state.js';

// Building a trainer from a loaded save, wherever it was read from (a directory or a tf.io handler).

/** Options of `Trainer.load` / `Trainer.resume`. */
export interface TrainerLoadOptions extends LoadTrainerOptions {
  logger?: Logger;
  verbose?: boolean | 0 | 1 | 2;
  /** Overrides the backend recorded in the save. */
  backend?: BackendPreference;
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
  savedHistory: HistoryRecord | undefined;
  ready(): Promise<unknown>;
  dispose(): void;
}

/** Builds the trainer from a loaded state; on any failure frees the state's model and optimizer. */
export async function buildRestoredTrainer<T extends LoadableTrainer>(
  state: LoadedTrainerState,
  options: TrainerLoadOptions,
  build: (options: RestoredTrainerOptions) => T,
): Promise<T> {
  const recorded = state.trainer.backend;
  const attempt = async (backend: BackendPreference | undefined): Promise<T> => {
    const trainer = build({
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
    trainer.savedHistory = state.history;
    try {
      await trainer.ready();
      return trainer;
    } catch (error) {
      trainer.dispose();
      throw error;
    }
  };
  try {
    return await attempt(options.backend ?? recorded).catch((error: unknown) => {
      // A save carries the backend it was trained on; where that one does not exist (webgl saved
      // in a page, loaded in Node; tensorflow the other way), the load picks one as 'auto' does.
      const unavailable = error instanceof BackendUnavailableError && options.backend === undefined && recorded !== undefined && recorded !== 'auto';
      if (!unavailable) throw error;
      pickLogger(options.logger, options.verbose)(`[losskit] the save was trained on '${recorded}', which is not available here; choosing a backend as 'auto' does`);
      return attempt('auto');
    });
  } catch (error) {
    state.model.dispose();
    state.optimizer.dispose();
    throw error;
  }
}

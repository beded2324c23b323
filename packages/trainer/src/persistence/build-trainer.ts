import type * as tf from '@tensorflow/tfjs';
import { LossKitError, VersionMismatchError } from '@losskit/core';
import type { BackendPreference } from '../backend.js';
import { BackendUnavailableError } from '../errors.js';
import { pickLogger, type Logger } from '../logger.js';
import { MissingLossPluginError, TrainerFileError } from './errors.js';
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
      throw savedSettingsRefused(error, state.manifestFile);
    }
  };
  try {
    checkLossWeights(state);
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

/** A saved lossWeights list must have one entry per output of the saved model. */
function checkLossWeights(state: LoadedTrainerState): void {
  const outputs = state.model.outputs.length;
  if (state.lossWeights !== undefined && state.lossWeights.length !== outputs) {
    throw new TrainerFileError(
      `${state.manifestFile}: lossWeights must have one entry per output of the saved model (${outputs}); the file is corrupt. Fix lossWeights in it or save the trainer again.`,
    );
  }
}

/**
 * What ready() refuses of a loaded trainer comes from the file: its losses, lossWeights and
 * metrics (the caller gives only backend, plugins, logger and verbose, and a missing backend is
 * handled by the caller). Said as a file error naming the field; the original error, whose
 * message quotes the saved names, is kept as the cause.
 */
function savedSettingsRefused(error: unknown, file: string): unknown {
  if (!(error instanceof LossKitError) || error instanceof TrainerFileError || error instanceof BackendUnavailableError || error instanceof MissingLossPluginError || error instanceof VersionMismatchError) {
    return error;
  }
  const field = METRIC_ERRORS.has(error.name) ? 'metrics' : 'losses or metrics';
  return Object.assign(
    new TrainerFileError(
      `${file}: the saved ${field} cannot be set up for the saved model (${error.name}); the file is corrupt or needs plugins that are not installed. ` +
        `Fix ${field} in the file, or save the trainer again.`,
    ),
    { cause: error },
  );
}

const METRIC_ERRORS = new Set(['UnknownMetricError', 'InvalidMetricOptionsError']);

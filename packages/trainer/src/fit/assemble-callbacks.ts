import type { Logger } from '../logger.js';
import { createProgressCallback, type ProgressStream } from '../progress/index.js';
import { CallbackList, type TrainerCallback } from './callbacks.js';
import { earlyStoppingCallback } from './early-stopping.js';
import type { FitSettings, Verbosity } from './settings.js';
import type { BatchSource } from './sources.js';

export interface CallbackParts {
  settings: FitSettings;
  /** The fit's verbosity, else the trainer's. */
  verbose: Verbosity;
  /** The application's logger, if it gave one: progress goes there instead of stderr. */
  logger: Logger | undefined;
  train: BatchSource;
  hasValidation: boolean;
  /** Stops the fit after the current batch (early stopping uses it). */
  stop(): void;
  /** The checkpoint writer, when `settings.checkpoint` is set. */
  checkpoint: (() => Promise<TrainerCallback>) | undefined;
}

/**
 * Every callback of a fit, in the order they run: the user's, early stopping, checkpoints,
 * progress last (so it shows what the others logged).
 */
export async function assembleCallbacks(parts: CallbackParts): Promise<CallbackList> {
  const { settings } = parts;
  const list: TrainerCallback[] = [...settings.callbacks];
  if (settings.earlyStopping) {
    list.push(earlyStoppingCallback(settings.earlyStopping, parts.hasValidation ? 'val_loss' : 'loss', parts.stop));
  }
  if (parts.checkpoint) list.push(await parts.checkpoint());
  if (parts.verbose !== 0) {
    const logger = parts.logger;
    const stream: ProgressStream | undefined = logger ? { write: (chunk) => logger(chunk.replace(/\n$/, '')) } : undefined;
    const size = parts.train.size;
    list.push(
      createProgressCallback(parts.verbose === 2 ? 'lines' : 'auto', {
        totalEpochs: settings.epochs,
        batchesPerEpoch: size === undefined ? 0 : Math.ceil(size / settings.batchSize),
        samplesPerEpoch: size ?? 0,
        ...(stream ? { stream } : {}),
      }),
    );
  }
  return new CallbackList(list);
}

import type { History } from '../fit/loop.js';
import { TrainerInputError } from '../errors.js';
import { checkKeys, isPlainObject } from '../options/strict.js';
import type { LoadableTrainer, RestoredTrainerOptions, TrainerLoadOptions } from './build-trainer.js';
import { checkLoadOptions } from './load-options.js';
import { isDirectoryPath, type TrainerLocation } from './location.js';
import type { HistoryRecord, SavableTrainer, SaveExtras } from './manifest.js';

// Where a save or load goes: a directory path to the file-system persistence (node:fs), loaded
// only when needed and through the package import that resolves to stand-ins in a browser (see
// package.json "imports"); anything else to tf.io, loaded on first use so that a page that never
// saves can keep it in a chunk of its own.

export const nodePersistence = () => import('#node-persistence');
const ioPersistence = () => import('./io-persistence.js');

/** Options of `trainer.save`. */
export interface SaveOptions {
  /** Per-epoch logs to keep with the save: a History from `fit` or its `history` record. */
  history?: History | HistoryRecord;
}

/** The run state a save records: the fit seed and the history the user chose to keep. */
export function saveExtras(options: SaveOptions, seed: number | string | undefined): SaveExtras {
  if (!isPlainObject(options)) throw new TrainerInputError('save(target, options): options must be an object, e.g. { history }.');
  checkKeys(options, ['history'], 'save');
  const given = options.history as unknown;
  // A History from fit ({ epoch, history }) or its record; the manifest schema checks the values.
  const history = isPlainObject(given) && Array.isArray(given.epoch) && isPlainObject(given.history) ? given.history : given;
  return { ...(seed !== undefined ? { seed } : {}), ...(history !== undefined ? { history: history as HistoryRecord } : {}) };
}

export async function saveTrainerAt(trainer: SavableTrainer, target: TrainerLocation, extras: SaveExtras): Promise<void> {
  if (isDirectoryPath(target)) await (await nodePersistence()).saveTrainer(trainer, target, extras);
  else await (await ioPersistence()).saveTrainerTo(trainer, target, extras);
}

export async function loadTrainerAt<T extends LoadableTrainer>(source: TrainerLocation, options: TrainerLoadOptions, build: (options: RestoredTrainerOptions) => T): Promise<T> {
  checkLoadOptions(options, 'Trainer.load');
  if (isDirectoryPath(source)) return (await nodePersistence()).loadTrainer(source, options, build);
  return (await ioPersistence()).loadTrainerFrom(source, options, build);
}

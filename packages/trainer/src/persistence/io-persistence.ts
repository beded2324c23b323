import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { readTrainerArtifacts, trainerArtifacts } from './artifacts.js';
import { buildRestoredTrainer, type LoadableTrainer, type RestoredTrainerOptions, type TrainerLoadOptions } from './build-trainer.js';
import { TrainerFileError } from './errors.js';
import { ensureLossesResolvable } from './loss-check.js';
import type { SavableTrainer, SaveExtras } from './manifest.js';
import { describeLocation, type TrainerLocation } from './location.js';
import { loadedState } from './restore-state.js';

/**
 * Saving and loading a trainer through tf.io, in a browser and in Node: a URL any registered
 * tf.io router takes ('indexeddb://', 'localstorage://', 'downloads://', 'http(s)://' for loading,
 * 'file://' where tfjs-node is loaded) or a handler object. Directory paths go to the file-system
 * persistence instead (see trainer.ts).
 */

/** The save handler for a URL or handler object, or an error naming what is registered. */
export function saveHandlerFor(target: TrainerLocation, caller: string): tf.io.IOHandler {
  return handlerFor(target, caller, 'save');
}

export function loadHandlerFor(source: TrainerLocation, caller: string): tf.io.IOHandler {
  return handlerFor(source, caller, 'load');
}

function handlerFor(location: TrainerLocation, caller: string, kind: 'save' | 'load'): tf.io.IOHandler {
  if (typeof location === 'string') {
    const handlers = kind === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
    const scheme = location.slice(0, location.indexOf('://') + 3);
    if (handlers.length === 0) {
      throw new TrainerInputError(
        `${caller}: no tf.io ${kind} handler takes '${scheme}' here. ` +
          "'indexeddb://' and 'localstorage://' work in a browser, 'downloads://' saves from a page, 'http(s)://' loads; in Node, use a directory path.",
      );
    }
    if (handlers.length > 1) throw new TrainerInputError(`${caller}: several tf.io ${kind} handlers take '${scheme}'; pass the one to use as a handler object.`);
    return handlers[0]!;
  }
  if (typeof location !== 'object' || location === null || typeof location[kind] !== 'function') {
    throw new TrainerInputError(
      `${caller}: expected a directory path, a tf.io URL ('indexeddb://name', ...) or a tf.io handler with a ${kind}() method; got ${location === null ? 'null' : typeof location}.`,
    );
  }
  return location;
}

/** Saves the trainer's artifacts (model, optimizer slots, manifest) through a tf.io handler. */
export async function saveTrainerTo(trainer: SavableTrainer, target: TrainerLocation, extras: SaveExtras = {}): Promise<void> {
  const handler = saveHandlerFor(target, 'save');
  const { artifacts } = await trainerArtifacts(trainer, extras);
  let result: tf.io.SaveResult;
  try {
    result = await handler.save!(artifacts);
  } catch (error) {
    throw failure(`Could not save the trainer to ${describeLocation(target)}`, error);
  }
  if (result?.errors?.length) throw new TrainerFileError(`Could not save the trainer to ${describeLocation(target)}: ${result.errors.map(String).join('; ')}`);
}

/**
 * Loads a trainer saved through any tf.io handler (or a directory save served over http): the
 * artifacts are checked as untrusted input, the losses made resolvable by name, then the model
 * and optimizer built. Nothing is written.
 */
export async function loadTrainerFrom<T extends LoadableTrainer>(
  source: TrainerLocation,
  options: TrainerLoadOptions,
  build: (options: RestoredTrainerOptions) => T,
  where: string = describeLocation(source),
): Promise<T> {
  const handler = loadHandlerFor(source, 'Trainer.load');
  const saved = readTrainerArtifacts(await loadArtifacts(handler, where), where);
  await ensureLossesResolvable(saved.manifest, where, options.plugins ? { plugins: options.plugins } : {});
  return buildRestoredTrainer(await loadedState(saved), options, build);
}

/** The handler's artifacts, its failure (a missing key, a network error) said with the location. */
export async function loadArtifacts(handler: tf.io.IOHandler, where: string): Promise<unknown> {
  try {
    return await handler.load!();
  } catch (error) {
    throw failure(`Could not load ${where}`, error);
  }
}

/** A handler's own error, kept as the cause, with what losskit was doing. */
function failure(doing: string, cause: unknown): TrainerFileError {
  const error = new TrainerFileError(`${doing}: ${(cause as Error)?.message ?? String(cause)}`);
  (error as { cause?: unknown }).cause = cause;
  return error;
}

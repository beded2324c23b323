import type * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from './errors.js';

/**
 * The check at every public entry of a Trainer (fit, evaluate, predict, save): a disposed
 * trainer or model is a TrainerInputError saying what was disposed and what to do, instead of
 * TF.js's "LayersVariable ... is already disposed" or a TypeError from inside a step.
 */

const disposedTrainers = new WeakSet<object>();

/** Called by Trainer.dispose(): from then on every entry refuses the trainer. */
export function markDisposed(trainer: object): void {
  disposedTrainers.add(trainer);
}

export function checkUsable(trainer: object, model: tf.LayersModel, where: string): void {
  if (disposedTrainers.has(trainer)) {
    throw new TrainerInputError(
      `${where}: this trainer was disposed (trainer.dispose() freed its losses, metrics and the optimizer it made); ` +
        `make a new Trainer, e.g. new Trainer({ model: trainer.model, optimizer, loss }): the model is not freed and can train on.`,
    );
  }
  if (modelDisposed(model)) {
    throw new TrainerInputError(
      `${where}: the trainer's model was disposed (model.dispose() freed its weights); build or load the model again ` +
        `(tf.loadLayersModel, Trainer.load) and make a new Trainer with it, and dispose the model only when done with the trainer.`,
    );
  }
}

/** Whether `model.dispose()` freed the model's weights: reading a disposed LayersVariable throws. */
function modelDisposed(model: tf.LayersModel): boolean {
  try {
    for (const weight of model.weights) weight.read();
    return false;
  } catch {
    return true;
  }
}

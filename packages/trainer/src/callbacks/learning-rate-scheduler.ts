import type * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import type { TrainerCallback } from '../fit/callbacks.js';
import { currentLearningRate, setLearningRate } from './learning-rate-control.js';

/**
 * Keras 3's `LearningRateScheduler`: at the start of each epoch the learning rate becomes
 * `schedule(epoch, currentRate)`. It keeps no state of its own: a resumed run calls it with the
 * epoch index and the rate restored with the optimizer, so it continues where it stopped.
 */
export class LearningRateScheduler implements TrainerCallback {
  /** The trainer logs `learning_rate` in each epoch's logs and the history, as Keras's callback does. */
  readonly logsLearningRate = true;
  constructor(
    private readonly optimizer: tf.Optimizer,
    private readonly schedule: (epoch: number, learningRate: number) => number,
  ) {
    if (typeof schedule !== 'function') throw new TrainerInputError('LearningRateScheduler: schedule must be a function (epoch, lr) => lr.');
    currentLearningRate(optimizer);
  }

  onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, currentLearningRate(this.optimizer));
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new TrainerInputError(`LearningRateScheduler: the schedule returned ${String(lr)} for epoch ${epoch}; it must return a finite number >= 0.`);
    }
    setLearningRate(this.optimizer, lr);
  }
}

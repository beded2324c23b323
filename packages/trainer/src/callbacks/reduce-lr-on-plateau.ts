import type * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import type { Logs, TrainerCallback } from '../fit/callbacks.js';
import { currentLearningRate, setLearningRate, trainingOptimizer } from './learning-rate-control.js';
import { checkKeys, checkNumber, Monitor, type MonitorMode } from './monitor.js';

export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** New rate = rate * factor (default 0.1, below 1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Default 'auto'. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this (default 0). */
  minLr?: number;
}

/** What a checkpoint keeps so a resumed run reduces at the same epochs. */
export interface PlateauState {
  best: number | null;
  wait: number;
  cooldownCounter: number;
}

const KNOWN = ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr'];

/**
 * Keras 3's `ReduceLROnPlateau`: multiplies the optimizer's learning rate by `factor` when the
 * monitored value has not improved for `patience` epochs. Needs a settable rate: a plain TF.js
 * optimizer, or a TrainingOptimizer with a constant `learningRate` (not a schedule). With a
 * TrainingOptimizer its counters travel in the optimizer's state, so checkpoints keep them and a
 * resumed run (or the next fit) continues them; `reset()` starts afresh.
 */
export class ReduceLROnPlateau implements TrainerCallback {
  /** The trainer logs `learning_rate` in each epoch's logs and the history, as Keras's callback does. */
  readonly logsLearningRate = true;
  private readonly monitor: Monitor;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private wait = 0;
  private cooldownCounter = 0;
  private restored = false;

  constructor(private readonly optimizer: tf.Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const owner = 'ReduceLROnPlateau';
    checkKeys(options, KNOWN, owner);
    this.factor = checkNumber(options.factor ?? 0.1, 'factor', owner);
    if (this.factor >= 1) throw new TrainerInputError(`${owner}: factor must be below 1 (got ${this.factor}); it multiplies the learning rate.`);
    this.patience = checkNumber(options.patience ?? 10, 'patience', owner, 0, true);
    this.cooldown = checkNumber(options.cooldown ?? 0, 'cooldown', owner, 0, true);
    this.minLr = checkNumber(options.minLr ?? 0, 'minLr', owner);
    this.monitor = new Monitor(options.monitor ?? 'val_loss', options.mode ?? 'auto', options.minDelta ?? 1e-4, owner);
    currentLearningRate(optimizer); // fails now, not after the first epoch, for an optimizer without a rate
  }

  onTrainBegin(): void {
    // Keras resets at the start of every fit. A state restored for a resumed run is kept, and so
    // is the one a TrainingOptimizer carries (restored with it from a checkpoint).
    const carried = trainingOptimizer(this.optimizer)?.plateauState;
    if (!this.restored) this.setState(carried ?? { best: null, wait: 0, cooldownCounter: 0 });
    this.restored = false;
  }

  /** Starts afresh: no best value, no waiting, no cooldown (also in the optimizer that carries them). */
  reset(): void {
    this.setState({ best: null, wait: 0, cooldownCounter: 0 });
    this.restored = false;
    const carrier = trainingOptimizer(this.optimizer);
    if (carrier) carrier.plateauState = undefined;
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    const current = this.monitor.valueIn(logs);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.monitor.isImprovement(current)) {
      this.monitor.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0 && ++this.wait >= this.patience) {
      const old = currentLearningRate(this.optimizer);
      if (old > Math.fround(this.minLr)) {
        setLearningRate(this.optimizer, Math.max(old * this.factor, this.minLr));
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
    const carrier = trainingOptimizer(this.optimizer);
    if (carrier) carrier.plateauState = this.getState();
  }

  getState(): PlateauState {
    return { best: this.monitor.best, wait: this.wait, cooldownCounter: this.cooldownCounter };
  }

  /** Restores a state from `getState` (e.g. read back from a checkpoint); checked, since it may come from a file. */
  setState(state: PlateauState): void {
    const ok = state && (state.best === null || typeof state.best === 'number') && Number.isInteger(state.wait) && Number.isInteger(state.cooldownCounter);
    if (!ok) throw new TrainerInputError('ReduceLROnPlateau.setState: expected { best: number | null, wait, cooldownCounter } as getState() returns.');
    this.monitor.best = state.best;
    this.wait = state.wait;
    this.cooldownCounter = state.cooldownCounter;
    this.restored = true;
  }
}

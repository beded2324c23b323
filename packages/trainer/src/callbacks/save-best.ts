import { TrainerInputError } from '../errors.js';
import type { Logs, TrainerCallback } from '../fit/callbacks.js';
import { checkKeys, Monitor, type MonitorMode } from './monitor.js';

export interface SaveBestOptions {
  /** Where the best trainer is saved (`trainer.save(dir)`, replaced atomically at each improvement). */
  dir: string;
  /** Default 'val_loss'. */
  monitor?: string;
  /** Default 'auto'. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

/** What saveBest needs of a trainer. */
export interface Saveable {
  save(dir: string): Promise<void>;
}

/**
 * Keras's `ModelCheckpoint(save_best_only=True)`: saves the trainer whenever the monitored value
 * improves, so `dir` always holds the best epoch so far (loadable with `Trainer.load`).
 */
export class SaveBest implements TrainerCallback {
  private readonly monitor: Monitor;
  private readonly dir: string;
  /** The epoch whose trainer is in `dir`, or undefined before the first save. */
  bestEpoch: number | undefined;

  constructor(private readonly trainer: Saveable, options: SaveBestOptions) {
    checkKeys(options, ['dir', 'monitor', 'mode', 'minDelta'], 'SaveBest');
    if (typeof options.dir !== 'string' || options.dir === '') throw new TrainerInputError("SaveBest: give a directory, e.g. new SaveBest(trainer, { dir: 'runs/best' }).");
    if (typeof trainer?.save !== 'function') throw new TrainerInputError('SaveBest: the first argument must be the trainer whose best state to save.');
    this.dir = options.dir;
    this.monitor = new Monitor(options.monitor ?? 'val_loss', options.mode ?? 'auto', options.minDelta ?? 0, 'SaveBest');
  }

  get best(): number | null {
    return this.monitor.best;
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const current = this.monitor.valueIn(logs);
    if (!Number.isFinite(current) || !this.monitor.isImprovement(current)) return;
    await this.trainer.save(this.dir);
    this.monitor.best = current;
    this.bestEpoch = epoch;
  }

  getState(): { best: number | null; bestEpoch: number | null } {
    return { best: this.monitor.best, bestEpoch: this.bestEpoch ?? null };
  }

  setState(state: { best: number | null; bestEpoch: number | null }): void {
    if (!state || !(state.best === null || typeof state.best === 'number')) throw new TrainerInputError('SaveBest.setState: expected { best, bestEpoch } as getState() returns.');
    this.monitor.best = state.best;
    this.bestEpoch = state.bestEpoch ?? undefined;
  }
}

import { TrainerInputError } from '../errors.js';
import { notLoggedError } from '../callbacks/monitor.js';
import type { Logs, TrainerCallback } from './callbacks.js';

export interface EarlyStoppingOptions {
  /** History key to watch; default 'val_loss' when there is validation data, else 'loss'. */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min', 'max', or 'auto': max for keys that contain 'acc', else min. */
  mode?: 'min' | 'max' | 'auto';
}

/** Stops training (through `stop()`) when the monitored value stops improving, as Keras does. */
export function earlyStoppingCallback(options: EarlyStoppingOptions, defaultMonitor: string, stop: () => void): TrainerCallback {
  const monitor = options.monitor ?? defaultMonitor;
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  if (!Number.isInteger(patience) || patience < 0) {
    throw new TrainerInputError(`earlyStopping.patience must be a whole number >= 0 (got ${patience}).`);
  }
  const mode = options.mode === 'max' || (options.mode !== 'min' && /acc/.test(monitor)) ? 'max' : 'min';
  let best = mode === 'min' ? Infinity : -Infinity;
  let wait = 0;
  return {
    onEpochEnd(_epoch: number, logs?: Logs) {
      const value = logs?.[monitor];
      if (value === undefined) throw notLoggedError('earlyStopping', monitor, logs);
      const improved = mode === 'min' ? value < best - minDelta : value > best + minDelta;
      if (improved) {
        best = value;
        wait = 0;
      } else if (++wait > patience) {
        stop();
      }
    },
  };
}

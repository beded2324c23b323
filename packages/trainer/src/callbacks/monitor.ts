import { getLossRegistry, getMetricRegistry } from '@losskit/core';
import { TrainerInputError } from '../errors.js';
import { checkKeys as checkOptionKeys, didYouMean } from '../options/strict.js';

export type MonitorMode = 'auto' | 'min' | 'max';

/**
 * Keras 3's `MonitorCallback` comparison: an improvement is `current - minDelta < best` for
 * 'min' (the delta counts against the value) and `current - minDelta > best` for 'max'; the
 * first value always improves. 'auto' is 'min' for losses and for losses used as metrics, and
 * the metric's direction for registered metrics (accuracy: 'max'), as Keras reads `_direction`.
 * A name 'auto' cannot place is judged at the first epoch's logs: a misspelt key (`val_los`)
 * is then reported as not logged, with the logged key it was meant to be, rather than as a
 * key whose direction is unknown.
 */
export class Monitor {
  /** undefined when 'auto' cannot tell from the name yet: `valueIn` asks again, then refuses the logged key. */
  private direction: 'min' | 'max' | undefined;
  private readonly minDelta: number;
  best: number | null = null;

  constructor(readonly monitor: string, mode: MonitorMode, minDelta: number, private readonly owner: string) {
    if (typeof monitor !== 'string' || monitor === '') throw new TrainerInputError(`${owner}: monitor must be a history key such as 'val_loss'.`);
    if (!['auto', 'min', 'max'].includes(mode)) throw new TrainerInputError(`${owner}: mode must be 'auto', 'min' or 'max' (got ${String(mode)}).`);
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta)) throw new TrainerInputError(`${owner}: minDelta must be a finite number (got ${String(minDelta)}).`);
    this.direction = mode === 'auto' ? autoMode(monitor) : mode;
    this.minDelta = Math.abs(minDelta);
  }

  isImprovement(current: number): boolean {
    if (this.best === null) return true;
    return this.direction === 'min' ? current + this.minDelta < this.best : current - this.minDelta > this.best;
  }

  /** The monitored value from an epoch's logs; a key that is not logged is an error naming the logged ones. */
  valueIn(logs: Record<string, number> | undefined): number {
    const value = logs?.[this.monitor];
    if (typeof value !== 'number') throw notLoggedError(this.owner, this.monitor, logs);
    // A loss or metric named in the monitor may be registered only by the fit's own set-up
    // (discovery at trainer.ready()), after this callback was made.
    this.direction ??= autoMode(this.monitor);
    if (!this.direction) {
      throw new TrainerInputError(
        `${this.owner}: cannot tell whether '${this.monitor}' should go up or down (it is not a loss nor a registered metric); pass mode: 'max' or mode: 'min'.`,
      );
    }
    return value;
  }
}

/** "<owner>: monitor 'x' is not logged (did you mean 'y'?); logged keys are ..." */
export function notLoggedError(owner: string, monitor: string, logs: Record<string, number> | undefined): TrainerInputError {
  const logged = Object.keys(logs ?? {});
  return new TrainerInputError(
    `${owner}: monitor '${monitor}' is not logged${didYouMean(monitor, logged)}; logged keys are ${logged.join(', ') || '(none)'}` +
      `${/^val_/.test(monitor) && !logged.some((key) => key.startsWith('val_')) ? ' (val_ keys need validation data: validationSplit or validationData)' : ''}.`,
  );
}

/** The direction 'auto' reads from the name, or undefined when the name does not tell. */
function autoMode(monitor: string): 'min' | 'max' | undefined {
  const name = monitor.replace(/^val_/, '').replace(/^.*\//, '');
  if (name === 'loss' || name.endsWith('_loss') || name === 'learning_rate') return 'min';
  const metrics = getMetricRegistry();
  if (metrics.has(name)) return metrics.describe(name).direction === 'up' ? 'max' : 'min';
  if (getLossRegistry().has(name)) return 'min';
  return undefined;
}

/** A finite number >= min, or an error naming the option. */
export function checkNumber(value: unknown, name: string, owner: string, min = 0, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new TrainerInputError(`${owner}: ${name} must be a ${integer ? 'whole ' : ''}number >= ${min} (got ${String(value)}).`);
  }
  return value;
}

/** Refuses option keys a callback does not know (a typo would otherwise be a silent default), with a did-you-mean. */
export function checkKeys(options: object, known: readonly string[], owner: string): void {
  if (typeof options !== 'object' || options === null) throw new TrainerInputError(`${owner}: options must be an object.`);
  checkOptionKeys(options, known, owner);
}

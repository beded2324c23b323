import { getLossRegistry, getMetricRegistry } from '@losskit/core';
import { TrainerInputError } from '../errors.js';

export type MonitorMode = 'auto' | 'min' | 'max';

/**
 * Keras 3's `MonitorCallback` comparison: an improvement is `current - minDelta < best` for
 * 'min' (the delta counts against the value) and `current - minDelta > best` for 'max'; the
 * first value always improves. 'auto' is 'min' for losses and for losses used as metrics, and
 * the metric's direction for registered metrics (accuracy: 'max'), as Keras reads `_direction`.
 */
export class Monitor {
  readonly mode: 'min' | 'max';
  private readonly delta: number;
  best: number | null = null;

  constructor(readonly monitor: string, mode: MonitorMode, minDelta: number, owner: string) {
    if (typeof monitor !== 'string' || monitor === '') throw new TrainerInputError(`${owner}: monitor must be a history key such as 'val_loss'.`);
    if (!['auto', 'min', 'max'].includes(mode)) throw new TrainerInputError(`${owner}: mode must be 'auto', 'min' or 'max' (got ${String(mode)}).`);
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta)) throw new TrainerInputError(`${owner}: minDelta must be a finite number (got ${String(minDelta)}).`);
    this.mode = mode === 'auto' ? autoMode(monitor, owner) : mode;
    this.delta = this.mode === 'min' ? -Math.abs(minDelta) : Math.abs(minDelta);
  }

  isImprovement(current: number): boolean {
    if (this.best === null) return true;
    return this.mode === 'min' ? current - this.delta < this.best : current - this.delta > this.best;
  }

  /** The monitored value from an epoch's logs; a key that is not logged is an error naming the logged ones. */
  valueIn(logs: Record<string, number> | undefined, owner: string): number {
    const value = logs?.[this.monitor];
    if (typeof value !== 'number') {
      throw new TrainerInputError(`${owner}: monitor '${this.monitor}' is not logged; logged keys are ${Object.keys(logs ?? {}).join(', ') || '(none)'}.`);
    }
    return value;
  }
}

function autoMode(monitor: string, owner: string): 'min' | 'max' {
  const name = monitor.replace(/^val_/, '').replace(/^.*\//, '');
  if (name === 'loss' || name.endsWith('_loss') || name === 'learning_rate') return 'min';
  const metrics = getMetricRegistry();
  if (metrics.has(name)) return metrics.describe(name).direction === 'up' ? 'max' : 'min';
  if (getLossRegistry().has(name)) return 'min';
  throw new TrainerInputError(`${owner}: cannot tell whether '${monitor}' should go up or down; pass mode: 'max' or mode: 'min'.`);
}

/** A finite number >= min, or an error naming the option. */
export function checkNumber(value: unknown, name: string, owner: string, min = 0, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new TrainerInputError(`${owner}: ${name} must be a ${integer ? 'whole ' : ''}number >= ${min} (got ${String(value)}).`);
  }
  return value;
}

/** Refuses option keys a callback does not know (a typo would otherwise be a silent default). */
export function checkKeys(options: object, known: readonly string[], owner: string): void {
  if (typeof options !== 'object' || options === null) throw new TrainerInputError(`${owner}: options must be an object.`);
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length) throw new TrainerInputError(`${owner}: unknown option(s) ${unknown.join(', ')}; known options: ${known.join(', ')}.`);
}

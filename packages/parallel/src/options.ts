/** Validation of fitParallel's options: unknown keys and bad values fail with a named fix. */
import { closest } from 'fastest-levenshtein';
import { availableParallelism } from 'node:os';
import { ParallelFitError } from './errors.js';

export const FIT_PARALLEL_KEYS = [
  'loss', 'lossWeights', 'optimizer', 'epochs', 'batchSize', 'workers', 'sampleWeight', 'optimizerState', 'plugins', 'container', 'logger', 'onEpochEnd',
] as const;

export function checkKeys(options: object): void {
  for (const key of Object.keys(options)) {
    if (!(FIT_PARALLEL_KEYS as readonly string[]).includes(key)) {
      throw new ParallelFitError(`fitParallel: unknown option '${key}' (did you mean '${closest(key, [...FIT_PARALLEL_KEYS])}'?)`);
    }
  }
}

export function checkPositiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ParallelFitError(`fitParallel: '${name}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Smallest slice per worker worth its synchronisation (below it, one more worker is slower). */
export const MIN_ROWS_PER_WORKER = 32;

/**
 * 'auto': as many workers as the machine runs threads in parallel, but no more than give each
 * at least MIN_ROWS_PER_WORKER rows of a batch. Returns the count and the reason, for the log.
 */
export function chooseWorkers(workers: unknown, batchSize: number): { count: number; why: string } {
  if (workers === undefined || workers === 'auto') {
    const cores = availableParallelism();
    const byBatch = Math.max(1, Math.floor(batchSize / MIN_ROWS_PER_WORKER));
    const count = Math.max(1, Math.min(cores, byBatch));
    return { count, why: `workers 'auto': ${count} (availableParallelism ${cores}, batch ${batchSize} / ${MIN_ROWS_PER_WORKER} rows per worker at least)` };
  }
  return { count: checkPositiveInteger('workers', workers), why: `workers: ${String(workers)}` };
}
